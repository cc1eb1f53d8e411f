//! STUB: TaskRouter simulator (being written).
