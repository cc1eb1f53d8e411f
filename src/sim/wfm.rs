//! STUB: CXone WFM simulator (being written).
