//! The WFM side: CXone WFM connector API v1 (SPEC §6).
pub mod dto;
