//! STUB: task and reservation derivation (being written).
