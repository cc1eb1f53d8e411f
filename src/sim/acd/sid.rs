//! Deterministic Twilio-style sids (`EV`, `WK`, `WA`, `WT`, `WR`, `WQ`, `WS` + 32 hex digits).
//!
//! A sid is a pure function of the simulator's seed, the kind of object and a counter, so two runs
//! with the same seed produce the same sids, and sids of one kind never collide: the low half is a
//! bijection of the counter.

/// One kind of sid: its two-letter prefix and a salt that keeps kinds apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SidKind {
    prefix: &'static str,
    salt: u64,
}

pub(crate) const EVENT: SidKind = SidKind {
    prefix: "EV",
    salt: 0x4556,
};
pub(crate) const WORKER: SidKind = SidKind {
    prefix: "WK",
    salt: 0x574b,
};
pub(crate) const ACTIVITY: SidKind = SidKind {
    prefix: "WA",
    salt: 0x5741,
};
pub(crate) const TASK: SidKind = SidKind {
    prefix: "WT",
    salt: 0x5754,
};
pub(crate) const RESERVATION: SidKind = SidKind {
    prefix: "WR",
    salt: 0x5752,
};
pub(crate) const QUEUE: SidKind = SidKind {
    prefix: "WQ",
    salt: 0x5751,
};
pub(crate) const WORKSPACE: SidKind = SidKind {
    prefix: "WS",
    salt: 0x5753,
};
pub(crate) const ACCOUNT: SidKind = SidKind {
    prefix: "AC",
    salt: 0x4143,
};
pub(crate) const API_KEY: SidKind = SidKind {
    prefix: "SK",
    salt: 0x534b,
};
/// The CloudEvent `id` of an Event Streams delivery.
pub(crate) const NOTIFICATION: SidKind = SidKind {
    prefix: "NO",
    salt: 0x4e4f,
};

/// The splitmix64 finaliser: a bijection on `u64` that scatters bits well.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The `n`-th sid of `kind` for `seed`.
pub(crate) fn sid(kind: SidKind, seed: u64, n: u64) -> String {
    let high = mix64(seed ^ kind.salt.rotate_left(32) ^ n.rotate_left(17));
    // A bijection of `n` (for a fixed seed and kind), hence unique per kind.
    let low = mix64(n ^ mix64(seed ^ kind.salt));
    format!("{}{high:016x}{low:016x}", kind.prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn sids_are_twilio_shaped_unique_and_deterministic() {
        let all: HashSet<String> = (0..100_000).map(|n| sid(EVENT, 7, n)).collect();
        assert_eq!(all.len(), 100_000);
        let one = sid(WORKER, 7, 3);
        assert_eq!(one.len(), 34);
        assert!(one.starts_with("WK"));
        assert!(one[2..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(one, sid(WORKER, 7, 3));
        assert_ne!(one, sid(WORKER, 8, 3));
    }
}
