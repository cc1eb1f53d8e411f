//! The `event_data` object of an event, kept as the JSON text it arrived in, with the byte spans
//! of its top-level members: the log stores that text as TaskRouter sent it (never re-serialised),
//! a stored event is read back without building a tree, and reading a key borrows from the text
//! (issue 8: a tree of a dozen strings per event, parsed, re-serialised and freed, was a third of
//! the ingest's time).

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;

/// The `event_data` object of an event. Values often arrive as strings (`"26123"`): the accessors
/// accept both strings and numbers. Built from a JSON object's text ([`EventData::from_json`]) or
/// from a parsed object (`From<Map>`); equal when they hold the same members.
#[derive(Clone, Default)]
pub struct EventData {
    /// The object's JSON text; empty for an empty object.
    raw: Box<str>,
    /// Its members in text order: byte spans of each key (without quotes) and value in `raw`.
    /// A key written with escapes (never one derivation reads) is left out.
    fields: Box<[Field]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Field {
    key: (u32, u32),
    value: (u32, u32),
}

impl EventData {
    /// The members of a JSON object's text; `None` when the text is not a JSON object.
    pub fn from_json(text: &str) -> Option<EventData> {
        let raw: Box<str> = text.trim().into();
        let fields = index(&raw)?;
        Some(EventData { raw, fields })
    }

    /// The object as JSON text, exactly as received.
    pub fn as_json(&self) -> &str {
        if self.raw.is_empty() { "{}" } else { &self.raw }
    }

    /// The object parsed (for tools and tests: derivation reads through the accessors).
    pub fn to_map(&self) -> Map<String, Value> {
        serde_json::from_str(self.as_json()).unwrap_or_default()
    }

    /// Sets a member (rebuilding the text: for tools and tests, not the ingest path).
    pub fn insert(&mut self, key: &str, value: Value) {
        let mut map = self.to_map();
        map.insert(key.to_string(), value);
        *self = EventData::from(map);
    }

    /// Whether the object has a member `key` (even `null`).
    pub fn contains_key(&self, key: &str) -> bool {
        self.value(key).is_some()
    }

    /// The raw JSON text of the last member named `key` (JSON keeps the last of duplicates).
    fn value(&self, key: &str) -> Option<&str> {
        let span = |(a, b): (u32, u32)| self.raw.get(a as usize..b as usize);
        self.fields
            .iter()
            .rev()
            .find(|f| span(f.key) == Some(key))
            .and_then(|f| span(f.value))
    }

    /// A string value; numbers and booleans are rendered as text. `null` and missing keys are `None`.
    pub fn str(&self, key: &str) -> Option<String> {
        self.text(key).map(Cow::into_owned)
    }

    /// [`EventData::str`] without a copy when the value is a string (the usual case).
    pub fn text(&self, key: &str) -> Option<Cow<'_, str>> {
        let v = self.value(key)?;
        match v.as_bytes().first()? {
            b'"' => string(v),
            b'n' => None,
            b't' | b'f' => Some(Cow::Borrowed(v)),
            // A number as serde_json renders it (`1.50` → `1.5`), an object or array compact.
            _ => {
                let parsed: Value = serde_json::from_str(v).ok()?;
                let text = parsed.to_string();
                Some(if text == v {
                    Cow::Borrowed(v)
                } else {
                    Cow::Owned(text)
                })
            }
        }
    }

    /// Sets `slot` to the text of `key` when the event has one (a non-empty one, with
    /// `non_empty`), copying it only when it differs from what `slot` holds: most events repeat
    /// what the last one said.
    pub fn read_into(&self, key: &str, non_empty: bool, slot: &mut Option<String>) {
        if let Some(v) = self.text(key).filter(|v| !(non_empty && v.is_empty()))
            && slot.as_deref() != Some(v.as_ref())
        {
            *slot = Some(v.into_owned());
        }
    }

    /// An integer given as a number or as a string of digits.
    pub fn i64(&self, key: &str) -> Option<i64> {
        let v = self.value(key)?;
        match v.as_bytes().first()? {
            b'"' => string(v)?.trim().parse().ok(),
            b'-' | b'0'..=b'9' => {
                let n: serde_json::Number = serde_json::from_str(v).ok()?;
                n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))
            }
            _ => None,
        }
    }

    /// A boolean given as `true`/`false` or as the strings `"true"`/`"false"`.
    pub fn bool(&self, key: &str) -> Option<bool> {
        let v = self.value(key)?;
        match v.as_bytes().first()? {
            b'"' => string(v)?.trim().parse().ok(),
            b't' | b'f' => v.parse().ok(),
            _ => None,
        }
    }

    /// A JSON object stored as a string (`worker_attributes`, `task_attributes`) or inline.
    pub fn json_object(&self, key: &str) -> Option<Map<String, Value>> {
        let v = self.value(key)?;
        match v.as_bytes().first()? {
            b'"' => serde_json::from_str(&string(v)?).ok(),
            b'{' => serde_json::from_str(v).ok(),
            _ => None,
        }
    }
}

/// A JSON string's content: borrowed when it has no escapes.
fn string(v: &str) -> Option<Cow<'_, str>> {
    let inner = v.get(1..v.len().checked_sub(1)?)?;
    if inner.contains('\\') {
        serde_json::from_str::<String>(v).ok().map(Cow::Owned)
    } else {
        Some(Cow::Borrowed(inner))
    }
}

/// The members of the JSON object `raw` (already trimmed), as spans into it.
fn index(raw: &str) -> Option<Box<[Field]>> {
    if raw.is_empty() {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(raw);
    let members = de.deserialize_map(Members).ok()?;
    de.end().ok()?;
    let base = raw.as_ptr() as usize;
    let span = |s: &str| {
        let start = (s.as_ptr() as usize).checked_sub(base)?;
        Some((
            u32::try_from(start).ok()?,
            u32::try_from(start + s.len()).ok()?,
        ))
    };
    members
        .into_iter()
        .filter_map(|(key, value)| Some((key?, value)))
        .map(|(key, value)| {
            Some(Field {
                key: span(key)?,
                value: span(value.get())?,
            })
        })
        .collect()
}

/// A key as it is in the text, `None` when it has escapes (then it is not in the text as is).
struct BorrowedKey<'a>(Option<&'a str>);

impl<'de> Deserialize<'de> for BorrowedKey<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = BorrowedKey<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(Some(s)))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(BorrowedKey(None))
            }
        }
        d.deserialize_str(V)
    }
}

type MemberList<'a> = Vec<(Option<&'a str>, &'a RawValue)>;

/// The members of an object, each value left as its text.
struct Members;

impl<'de> Visitor<'de> for Members {
    type Value = MemberList<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(BorrowedKey(key)) = map.next_key()? {
            out.push((key, map.next_value::<&RawValue>()?));
        }
        Ok(out)
    }
}

impl From<Map<String, Value>> for EventData {
    fn from(map: Map<String, Value>) -> EventData {
        let text = Value::Object(map).to_string();
        EventData::from_json(&text).unwrap_or_default()
    }
}

impl PartialEq for EventData {
    fn eq(&self, other: &EventData) -> bool {
        self.raw == other.raw || self.to_map() == other.to_map()
    }
}

impl fmt::Debug for EventData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventData({})", self.as_json())
    }
}

impl Serialize for EventData {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match RawValue::from_string(self.as_json().to_owned()) {
            Ok(raw) => raw.serialize(s),
            Err(_) => self.to_map().serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for EventData {
    /// An object; an object given as a JSON string (some producers do); anything else is empty.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        Ok(match value {
            Value::Object(m) => EventData::from(m),
            Value::String(s) => EventData::from_json(&s).unwrap_or_default(),
            _ => EventData::default(),
        })
    }
}

#[cfg(test)]
#[path = "event_data_tests.rs"]
mod tests;
