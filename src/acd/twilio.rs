//! TaskRouter v1 over HTTPS: Events (windowed, paged by `next_page_url`), Workers, Activities.
//! HTTP Basic auth with an API key (or Account SID + Auth Token).

use super::dto::{parse_activities_page, parse_events_page, parse_worker, parse_workers_page};
use super::{AcdError, AcdSource, ActivityInfo, EventPage, PageRequest, WorkerInfo};
use crate::config::AcdConfig;
use crate::model::Millis;
use crate::secret::Secret;
use crate::transport::describe;
use axum::body::Bytes;
use std::time::Duration;

/// A TaskRouter client for one workspace.
#[derive(Debug, Clone)]
pub struct TwilioClient {
    http: reqwest::Client,
    base_url: String,
    workspace_sid: String,
    username: String,
    password: Secret,
    page_size: u32,
    metrics: Option<crate::metrics::Metrics>,
}

/// Workers read at once by [`AcdSource::fetch_workers`] (TaskRouter limits concurrent requests).
const FETCH_CONCURRENCY: usize = 4;

impl TwilioClient {
    pub fn new(cfg: &AcdConfig) -> Result<Self, AcdError> {
        let http = reqwest::Client::builder()
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("wfm-connector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AcdError::Transport(e.to_string()))?;
        Ok(TwilioClient {
            http,
            base_url: cfg.base_url.trim_end_matches('/').to_string(),
            workspace_sid: cfg.workspace_sid.clone(),
            username: cfg.username.clone(),
            password: cfg.password.clone(),
            page_size: cfg.page_size.clamp(1, 1000),
            metrics: None,
        })
    }

    /// Reports TaskRouter's usage headers (`X-Rate-Limit-Remaining`, `Twilio-Concurrent-Requests`)
    /// as gauges.
    pub fn with_metrics(mut self, metrics: crate::metrics::Metrics) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Watches the usage headers Twilio sends: TaskRouter's `X-Rate-Limit-Remaining` /
    /// `X-Rate-Limit-Limit` (per method) and the account's `Twilio-Concurrent-Requests`.
    fn watch_usage(&self, headers: &reqwest::header::HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<i64>().ok())
        };
        let remaining = number("X-Rate-Limit-Remaining");
        let limit = number("X-Rate-Limit-Limit");
        if let Some(m) = &self.metrics {
            if let Some(r) = remaining {
                m.acd_rate_limit_remaining.set(r);
            }
            if let Some(c) = number("Twilio-Concurrent-Requests") {
                m.acd_concurrent_requests.set(c);
            }
        }
        // Nearly used up: under a tenth of the limit (or under 10 when the limit is not given).
        if let Some(left) = remaining
            && left < limit.map_or(10, |l| (l / 10).max(1))
        {
            tracing::warn!(
                remaining = left,
                limit,
                "TaskRouter rate limit nearly used up"
            );
        }
    }

    fn list_url(&self, resource: &str) -> String {
        format!(
            "{}/v1/Workspaces/{}/{resource}",
            self.base_url, self.workspace_sid
        )
    }

    /// Twilio's `next_page_url` is absolute. We only ever send credentials to the configured
    /// base URL, so keep its path and query and put them on our base. A URL with no path, or one
    /// outside this workspace's lists, is refused ([`AcdError::BadNextPage`], naming the URL
    /// without any user-info part).
    fn follow(&self, next: &str) -> Result<String, AcdError> {
        let rest = match next.find("://") {
            Some(i) => next[i + 3..].find('/').map(|j| &next[i + 3 + j..]),
            None => next.starts_with('/').then_some(next),
        };
        let prefix = format!("/v1/Workspaces/{}/", self.workspace_sid);
        match rest {
            Some(rest) if rest.starts_with(&prefix) => Ok(format!("{}{rest}", self.base_url)),
            _ => Err(AcdError::BadNextPage(redact_userinfo(next))),
        }
    }

    async fn get(&self, url: &str, query: &[(&str, String)]) -> Result<Bytes, AcdError> {
        let resp = self
            .http
            .get(url)
            .query(query)
            .basic_auth(&self.username, Some(self.password.expose()))
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| AcdError::Transport(describe(&e)))?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(AcdError::Auth(status));
        }
        if !(200..300).contains(&status) {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| crate::retry::parse_retry_after(v, chrono::Utc::now()));
            return Err(AcdError::Status {
                status,
                retry_after,
            });
        }
        self.watch_usage(resp.headers());
        resp.bytes()
            .await
            .map_err(|e| AcdError::Transport(describe(&e)))
    }

    async fn all_pages<T>(&self, resource: &str, parse: ListParser<T>) -> Result<Vec<T>, AcdError> {
        let mut out = Vec::new();
        let mut body = self
            .get(
                &self.list_url(resource),
                &[("PageSize", self.page_size.to_string())],
            )
            .await?;
        loop {
            let (items, next) = parse(&body)?;
            out.extend(items);
            match next {
                Some(n) => body = self.get(&self.follow(&n)?, &[]).await?,
                None => return Ok(out),
            }
        }
    }
}

/// `scheme://user:pass@host/…` → `scheme://host/…` (what an error message may show of a URL).
fn redact_userinfo(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    let after = &url[i + 3..];
    let authority_end = after.find('/').unwrap_or(after.len());
    match after[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &url[..i + 3], &after[at + 1..]),
        None => url.to_string(),
    }
}

/// Parses one page of a list: its items and the next page's URL.
type ListParser<T> = fn(&[u8]) -> Result<(Vec<T>, Option<String>), AcdError>;

/// Formats a date for `StartDate`/`EndDate` (whole seconds, UTC).
pub fn twilio_date(ms: Millis) -> String {
    match chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => "1970-01-01T00:00:00Z".to_string(),
    }
}

/// `ms` rounded up to a whole second: the `EndDate` that covers every event up to `ms`.
pub fn ceil_second(ms: Millis) -> Millis {
    ms + (1000 - ms.rem_euclid(1000)).rem_euclid(1000)
}

impl AcdSource for TwilioClient {
    async fn events_page(&self, req: &PageRequest) -> Result<EventPage, AcdError> {
        let body = match req {
            PageRequest::First { from_ms, to_ms } => {
                self.get(
                    &self.list_url("Events"),
                    &[
                        ("StartDate", twilio_date(*from_ms)),
                        ("EndDate", twilio_date(ceil_second(*to_ms))),
                        ("PageSize", self.page_size.to_string()),
                    ],
                )
                .await?
            }
            PageRequest::Next(url) => self.get(&self.follow(url)?, &[]).await?,
        };
        parse_events_page(&body)
    }

    async fn workers(&self) -> Result<Vec<WorkerInfo>, AcdError> {
        self.all_pages("Workers", parse_workers_page).await
    }

    async fn activities(&self) -> Result<Vec<ActivityInfo>, AcdError> {
        self.all_pages("Activities", parse_activities_page).await
    }

    async fn fetch_workers(&self, sids: Vec<String>) -> Vec<WorkerInfo> {
        let mut set = tokio::task::JoinSet::new();
        let mut out = Vec::with_capacity(sids.len());
        let mut sids = sids.into_iter();
        loop {
            while set.len() < FETCH_CONCURRENCY {
                let Some(sid) = sids.next() else { break };
                let client = self.clone();
                set.spawn(async move {
                    let url = client.list_url(&format!("Workers/{sid}"));
                    let read = match client.get(&url, &[]).await {
                        Ok(body) => parse_worker(&body),
                        Err(e) => Err(e),
                    };
                    read.map_err(|e| (sid, e))
                });
            }
            match set.join_next().await {
                Some(Ok(Ok(w))) => out.push(w),
                Some(Ok(Err((sid, e)))) => {
                    tracing::warn!(worker = %sid, error = %e, "could not read a worker's attributes");
                }
                Some(Err(e)) => tracing::warn!(error = %e, "a worker fetch failed"),
                None => return out,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> TwilioClient {
        let mut cfg = crate::config::Config::for_tests(
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            std::path::Path::new("b.db"),
        )
        .acd;
        cfg.workspace_sid = "WS1".into();
        TwilioClient::new(&cfg).unwrap()
    }

    #[test]
    fn next_page_urls_are_rebased_or_refused() {
        let c = client();
        assert_eq!(
            c.follow("https://taskrouter.twilio.com/v1/Workspaces/WS1/Events?PageToken=PA1")
                .unwrap(),
            "http://127.0.0.1:1/v1/Workspaces/WS1/Events?PageToken=PA1"
        );
        for bad in [
            "https://evil.example.com",
            "https://evil.example.com/",
            "https://u:secret@evil.example.com/other",
            "/v1/Workspaces/WS2/Events",
            "",
        ] {
            let e = c.follow(bad).unwrap_err().to_string();
            assert!(e.contains("next_page_url"), "{e}");
            assert!(!e.contains("secret"), "{e}");
        }
    }

    #[test]
    fn dates_are_whole_seconds_utc() {
        assert_eq!(twilio_date(1_763_633_700_999), "2025-11-20T10:15:00Z");
        assert_eq!(ceil_second(1_763_633_700_001), 1_763_633_701_000);
        assert_eq!(ceil_second(1_763_633_700_000), 1_763_633_700_000);
    }
}
