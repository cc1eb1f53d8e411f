//! Typed reads of one JSON object's fields that record an error for each field that is missing or
//! of the wrong type. Every read returns `None` when it recorded an error, so callers collect all
//! errors of an item at once and then give up on it.

use super::{MEDIA_TYPES, WireError, code, parse_wire_timestamp};
use crate::model::{AgentState, Millis};
use serde_json::{Map, Value};

/// One object being checked: its fields, where it sits in the body (for the errors), and the
/// error list errors go to.
pub struct Fields<'a, 'e> {
    obj: &'a Map<String, Value>,
    /// JSON path of the object, or of the array holding it when `index` is set; `""` for the body.
    section: &'static str,
    /// The item (agent state, report row) index within `section`.
    index: Option<usize>,
    errors: &'e mut Vec<WireError>,
}

impl<'a, 'e> Fields<'a, 'e> {
    pub fn new(
        obj: &'a Map<String, Value>,
        section: &'static str,
        index: Option<usize>,
        errors: &'e mut Vec<WireError>,
    ) -> Self {
        Fields {
            obj,
            section,
            index,
            errors,
        }
    }

    /// Records an error on `key`.
    pub fn fail(&mut self, key: &str, code: &str, message: String) {
        // Built only here, on error: valid items cost no path formatting.
        let field = match (self.section, self.index) {
            ("", _) => key.to_owned(),
            (section, None) => format!("{section}.{key}"),
            (section, Some(index)) => format!("{section}[{index}].{key}"),
        };
        self.errors
            .push(WireError::new(self.index, code, message, Some(field)));
    }

    /// A required field, any type (`null` counts as present).
    pub fn value(&mut self, key: &str) -> Option<&'a Value> {
        let value = self.obj.get(key);
        if value.is_none() {
            self.fail(key, code::MISSING_FIELD, format!("{key} is required"));
        }
        value
    }

    /// A required, non-empty string.
    pub fn string(&mut self, key: &str) -> Option<&'a str> {
        match self.value(key)? {
            Value::String(s) if !s.is_empty() => Some(s),
            Value::String(_) => {
                self.fail(key, code::INVALID_VALUE, format!("{key} must not be empty"));
                None
            }
            other => self.wrong_type(key, "a string", other),
        }
    }

    /// A non-empty string or `null`; absent is an error when `required`, else it reads as `null`.
    pub fn nullable_string(&mut self, key: &str, required: bool) -> Option<Option<&'a str>> {
        match self.obj.get(key) {
            None if !required => Some(None),
            None | Some(Value::String(_)) => self.string(key).map(Some),
            Some(Value::Null) => Some(None),
            Some(other) => self.wrong_type(key, "a string or null", other),
        }
    }

    /// A string equal to `expected`.
    pub fn exact(&mut self, key: &str, expected: &str) -> Option<&'a str> {
        self.one_of(key, &[expected])
    }

    /// A string among `allowed`.
    pub fn one_of(&mut self, key: &str, allowed: &[&str]) -> Option<&'a str> {
        let value = self.value(key)?;
        match value.as_str() {
            Some(s) if allowed.contains(&s) => Some(s),
            Some(s) => {
                self.fail(
                    key,
                    code::INVALID_VALUE,
                    format!("{key} must be one of {allowed:?}, got {s:?}"),
                );
                None
            }
            None => self.wrong_type(key, "a string", value),
        }
    }

    /// One of the six effective agent states (SPEC §4).
    pub fn state(&mut self, key: &str) -> Option<AgentState> {
        let value = self.value(key)?;
        let Some(s) = value.as_str() else {
            return self.wrong_type(key, "a string", value);
        };
        let state = AgentState::parse(s);
        if state.is_none() {
            self.fail(
                key,
                code::INVALID_VALUE,
                format!(
                    "{key} {s:?} is not one of LoggedOut, Available, Reserved, OnContact, \
                     AfterContactWork, Unavailable"
                ),
            );
        }
        state
    }

    /// One of [`MEDIA_TYPES`] or `null`; absent is an error when `required`.
    pub fn media_type(&mut self, key: &str, required: bool) -> Option<Option<&'a str>> {
        let media = self.nullable_string(key, required)?;
        match media {
            Some(m) if !MEDIA_TYPES.contains(&m) => {
                self.fail(
                    key,
                    code::INVALID_VALUE,
                    format!("{key} {m:?} is not one of {MEDIA_TYPES:?}"),
                );
                None
            }
            _ => Some(media),
        }
    }

    /// A wire timestamp (`2026-11-20T10:15:00.000Z`), as sent and in milliseconds.
    pub fn timestamp(&mut self, key: &str) -> Option<(&'a str, Millis)> {
        let value = self.value(key)?;
        let Some(s) = value.as_str() else {
            return self.wrong_type(key, "a timestamp string", value);
        };
        let ms = parse_wire_timestamp(s);
        if ms.is_none() {
            self.fail(
                key,
                code::INVALID_TIMESTAMP,
                format!("{key} {s:?} is not RFC 3339 UTC with milliseconds, e.g. 2026-11-20T10:15:00.000Z"),
            );
        }
        ms.map(|ms| (s, ms))
    }

    /// A wire timestamp or `null` (the key itself is required).
    pub fn nullable_timestamp(&mut self, key: &str) -> Option<Option<Millis>> {
        match self.value(key)? {
            Value::Null => Some(None),
            _ => self.timestamp(key).map(|(_, ms)| Some(ms)),
        }
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        let value = self.value(key)?;
        match value.as_bool() {
            Some(b) => Some(b),
            None => self.wrong_type(key, "true or false", value),
        }
    }

    /// A count: a JSON integer ≥ 0.
    pub fn count(&mut self, key: &str) -> Option<u64> {
        let value = self.value(key)?;
        match value.as_u64() {
            Some(n) => Some(n),
            None => self.wrong_type(key, "an integer >= 0", value),
        }
    }

    /// A duration in seconds: a JSON number ≥ 0 (integer or not).
    pub fn seconds(&mut self, key: &str) -> Option<f64> {
        let value = self.value(key)?;
        match value.as_f64() {
            Some(n) if n >= 0.0 => Some(n),
            _ => self.wrong_type(key, "a number >= 0", value),
        }
    }

    /// Seconds or `null` (the key itself is required).
    pub fn nullable_seconds(&mut self, key: &str) -> Option<Option<f64>> {
        match self.value(key)? {
            Value::Null => Some(None),
            _ => self.seconds(key).map(Some),
        }
    }

    /// An object whose every value is seconds (e.g. `unavailableByReason`).
    pub fn seconds_by_key(&mut self, key: &str) -> Option<&'a Map<String, Value>> {
        let map = self.object(key)?;
        let bad = map
            .iter()
            .find(|(_, v)| !v.as_f64().is_some_and(|n| n >= 0.0));
        if let Some((k, v)) = bad {
            self.fail(
                key,
                code::INVALID_TYPE,
                format!("{key}.{k} must be a number >= 0, got {v}"),
            );
            return None;
        }
        Some(map)
    }

    pub fn array(&mut self, key: &str) -> Option<&'a Vec<Value>> {
        let value = self.value(key)?;
        match value.as_array() {
            Some(a) => Some(a),
            None => self.wrong_type(key, "an array", value),
        }
    }

    pub fn object(&mut self, key: &str) -> Option<&'a Map<String, Value>> {
        let value = self.value(key)?;
        match value.as_object() {
            Some(o) => Some(o),
            None => self.wrong_type(key, "an object", value),
        }
    }

    fn wrong_type<T>(&mut self, key: &str, expected: &str, got: &Value) -> Option<T> {
        let got = match got {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        self.fail(
            key,
            code::INVALID_TYPE,
            format!("{key} must be {expected}, got {got}"),
        );
        None
    }
}
