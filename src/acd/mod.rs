//! The ACD side: what the connector reads from the contact centre.
//!
//! [`AcdSource`] is the small trait the poller talks to; [`twilio::TwilioClient`] is the only
//! implementation (TaskRouter v1). Pages come back already parsed into [`crate::model::AcdEvent`]s;
//! junk events are counted and skipped here, so nothing past this module sees malformed input.

pub mod dto;
pub mod twilio;

use crate::model::{AcdEvent, Millis};
use crate::retry::RetryHint;
use std::future::Future;
use std::time::Duration;

/// Where the next page of events comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRequest {
    /// The first page of the window `[from_ms, to_ms)`.
    First { from_ms: Millis, to_ms: Millis },
    /// A page named by the previous page's `next_page_url`.
    Next(String),
}

/// One page of the Events list.
#[derive(Debug, Clone, Default)]
pub struct EventPage {
    pub events: Vec<AcdEvent>,
    /// Events in the page that could not be read (no sid, no date…); logged and skipped.
    pub skipped: usize,
    pub next: Option<String>,
}

/// A worker as the Workers list shows it (for reconciliation and snapshots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerInfo {
    pub sid: String,
    pub friendly_name: String,
    pub activity_sid: Option<String>,
    pub activity_name: Option<String>,
    pub available: bool,
    pub attributes: Option<String>,
    pub date_status_changed_ms: Option<Millis>,
}

/// An Activity (TaskRouter's agent status, which also carries the reason code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityInfo {
    pub sid: String,
    pub friendly_name: String,
    pub available: bool,
}

/// Errors talking to the ACD.
#[derive(Debug, thiserror::Error)]
pub enum AcdError {
    #[error("ACD request failed: {0}")]
    Transport(String),
    #[error("ACD answered HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("ACD rejected the credentials (HTTP {0}): check [acd] username and password")]
    Auth(u16),
    #[error("ACD sent a body that is not the expected JSON: {0}")]
    Malformed(String),
    /// A `next_page_url` that does not name a page of this workspace's list (no path, another
    /// workspace): never followed, so credentials only ever go to the configured base URL.
    #[error("TaskRouter sent a next_page_url this connector will not follow: {0}")]
    BadNextPage(String),
}

impl RetryHint for AcdError {
    fn is_retryable(&self) -> bool {
        match self {
            AcdError::Transport(_) | AcdError::Malformed(_) => true,
            AcdError::Status { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            AcdError::Auth(_) | AcdError::BadNextPage(_) => false,
        }
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            AcdError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// The ACD as the poller sees it. One implementation today (TaskRouter); the trait keeps the door
/// open for another ACD without building it.
pub trait AcdSource: Send + Sync + 'static {
    /// One attempt at one page (no retry: the caller owns the retry policy).
    fn events_page(
        &self,
        req: &PageRequest,
    ) -> impl Future<Output = Result<EventPage, AcdError>> + Send;
    /// The whole Workers list (all pages).
    fn workers(&self) -> impl Future<Output = Result<Vec<WorkerInfo>, AcdError>> + Send;
    /// The whole Activities list.
    fn activities(&self) -> impl Future<Output = Result<Vec<ActivityInfo>, AcdError>> + Send;
    /// `GET …/Workers/{sid}` for each sid, a few at a time: the only view of a worker with its
    /// `attributes` (the list shows them as null). A worker that could not be read is left out.
    fn fetch_workers(&self, sids: Vec<String>) -> impl Future<Output = Vec<WorkerInfo>> + Send;
}
