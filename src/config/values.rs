//! How the file's values are read and written back: durations in the humantime syntax, whole
//! numbers within a range, secrets from any scalar, an address or `"off"`. The section structs
//! name these in their `#[serde(…)]` attributes; an error here is only the message (`"10" is not
//! a duration; …`): [`super::schema`] puts the file, section and key in front of it.

use crate::secret::Secret;
use serde::de::{Deserializer, Error, Visitor};
use serde::{Deserialize, Serializer};
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

/// A duration in the compact humantime syntax the file uses: `500ms`, `2s`, `2h15m`, `7d`.
pub fn format_duration(d: Duration) -> String {
    const UNITS: [(&str, u64); 4] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];
    let mut secs = d.as_secs();
    let mut out = String::new();
    for (unit, size) in UNITS {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    let nanos = d.subsec_nanos();
    if !nanos.is_multiple_of(1_000_000) {
        out.push_str(&format!("{nanos}ns"));
    } else if nanos > 0 {
        out.push_str(&format!("{}ms", nanos / 1_000_000));
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

/// `#[serde(with = "duration")]`: any duration, zero included.
pub(crate) mod duration {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = d.deserialize_any(ScalarText)?;
        humantime::parse_duration(text.trim()).map_err(|_| {
            D::Error::custom(format!(
                "{text:?} is not a duration; write a number with a unit: \
                 \"500ms\", \"2s\", \"15m\", \"2h15m\", \"7d\""
            ))
        })
    }
}

/// `#[serde(with = "positive")]`: a duration longer than zero.
pub(crate) mod positive {
    pub use super::duration::serialize;
    use super::*;

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let value = duration::deserialize(d)?;
        if value.is_zero() {
            return Err(D::Error::custom("must be longer than 0s"));
        }
        Ok(value)
    }
}

/// A whole number within `LO..=HI`, from a TOML integer or the text of an environment variable.
/// Floats and booleans are refused rather than rounded.
pub(crate) fn int_in<'de, D, T, const LO: i64, const HI: i64>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    let value = d.deserialize_any(WholeNumber)?;
    if !(LO..=HI).contains(&value) {
        return Err(D::Error::custom(format!(
            "{value} is out of range {LO}..={HI}"
        )));
    }
    T::try_from(value).map_err(|_| D::Error::custom(format!("{value} is too large")))
}

/// [`int_in`] for a key that may be left out.
pub(crate) fn some_int_in<'de, D, T, const LO: i64, const HI: i64>(
    d: D,
) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<i64>,
{
    int_in::<D, T, LO, HI>(d).map(Some)
}

/// A secret, from any scalar: `password = 1234` is the text `1234`, and no error ever quotes it.
pub(crate) fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    d.deserialize_any(ScalarText).map(Secret::new)
}

/// `#[serde(with = "addr_or_off")]`: `IP:port`, or `"off"` / `""` for none.
pub(crate) mod addr_or_off {
    use super::*;

    pub fn serialize<S: Serializer>(addr: &Option<SocketAddr>, s: S) -> Result<S::Ok, S::Error> {
        match addr {
            Some(addr) => s.collect_str(addr),
            None => s.serialize_str("off"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SocketAddr>, D::Error> {
        parse(&String::deserialize(d)?, "127.0.0.1:9464").map_err(D::Error::custom)
    }

    /// `example` is the address shown in the message.
    pub fn parse(text: &str, example: &str) -> Result<Option<SocketAddr>, String> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        text.parse().map(Some).map_err(|_| {
            format!("{text:?} is not an address; write IP:port, e.g. \"{example}\", or \"off\"")
        })
    }
}

/// The text of any scalar: environment variables and secrets arrive as text, and a secret such
/// as `007` must stay as written.
struct ScalarText;

impl Visitor<'_> for ScalarText {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// A whole number; floats and booleans are refused (a `2.5` must not become `2`).
struct WholeNumber;

impl Visitor<'_> for WholeNumber {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a whole number")
    }
    fn visit_i64<E: Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::custom(format!("{v} is too large")))
    }
    fn visit_f64<E: Error>(self, v: f64) -> Result<i64, E> {
        Err(E::custom(format!("expected a whole number, found {v}")))
    }
    fn visit_bool<E: Error>(self, v: bool) -> Result<i64, E> {
        Err(E::custom(format!("expected a whole number, found {v}")))
    }
    fn visit_str<E: Error>(self, v: &str) -> Result<i64, E> {
        v.trim()
            .parse()
            .map_err(|_| E::custom(format!("expected a whole number, found {v:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_render_in_the_file_syntax() {
        let cases = [
            (Duration::from_millis(500), "500ms"),
            (Duration::from_secs(2), "2s"),
            (Duration::from_secs(15 * 60), "15m"),
            (Duration::from_secs(2 * 3600 + 15 * 60), "2h15m"),
            (Duration::from_secs(7 * 86_400), "7d"),
            (Duration::from_millis(1500), "1s500ms"),
            (Duration::ZERO, "0s"),
        ];
        for (d, text) in cases {
            assert_eq!(format_duration(d), text);
            assert_eq!(humantime::parse_duration(text).unwrap(), d);
        }
    }
}
