//! STUB: report builders (being written).
