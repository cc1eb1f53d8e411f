//! Deterministic ids. Every id we send derives from ACD ids, so two connectors on the same
//! workspace (active/active) send identical ids and WFM de-duplicates.

/// 64-bit FNV-1a over the parts, separated so that `("ab","c")` and `("a","bc")` differ.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.as_bytes().iter().chain(std::iter::once(&0xff)) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// A short hex id with a prefix, e.g. `B-3f2a…` for a batch.
pub fn stable_id(prefix: &str, parts: &[&str]) -> String {
    format!("{prefix}{:016x}", stable_hash(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_matters_and_result_is_stable() {
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
        assert_eq!(stable_id("B", &["x"]), stable_id("B", &["x"]));
    }
}
