//! The one retry policy of the crate (SPEC §6, §10): exponential backoff with **full jitter**,
//! unlimited tries for delivery, and `Retry-After` honoured.
//!
//! Built on `backon` (not `backoff`, RUSTSEC-2025-0012). backon's own jitter adds `[0, d)` on top
//! of the delay `d`; full jitter draws the wait from `[0, d)` instead, so we take backon's plain
//! exponential sequence and draw the jitter ourselves in `adjust`, where a server's `Retry-After`
//! also replaces the computed delay.

use crate::config::RetrySettings;
use crate::shutdown::Shutdown;
use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// What a failed attempt says about retrying.
pub trait RetryHint {
    /// `false` for errors that retrying cannot fix (the caller handles them).
    fn is_retryable(&self) -> bool;
    /// The server's `Retry-After`, if it sent one.
    fn retry_after(&self) -> Option<Duration>;
}

/// Backoff settings: first delay and cap. Attempts are unlimited unless `max_tries` is set.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max: Duration,
    /// `None`: retry forever (delivery never gives up).
    pub max_tries: Option<usize>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(60),
            max_tries: None,
        }
    }
}

impl RetryPolicy {
    /// The policy for one peer, from its section's `retry_initial` and `retry_max`
    /// (`[acd]` for the poller, `[wfm]` for delivery): unlimited tries.
    pub fn from_settings(settings: &RetrySettings) -> Self {
        RetryPolicy {
            initial: settings.initial,
            max: settings.max,
            max_tries: None,
        }
    }

    fn builder(&self) -> ExponentialBuilder {
        let b = ExponentialBuilder::default()
            .with_min_delay(self.initial)
            .with_max_delay(self.max)
            .with_factor(2.0);
        match self.max_tries {
            Some(n) => b.with_max_times(n),
            None => b.without_max_times(),
        }
    }

    /// The sequence of un-jittered delays (exposed for tests and the docs).
    pub fn delays(&self) -> impl Iterator<Item = Duration> {
        self.builder().build()
    }

    /// Runs `op` until it succeeds, fails with a non-retryable error, or tries run out; a wait
    /// between tries ends early when `shutdown` trips (`op` is expected to look at the shutdown
    /// itself and return a non-retryable error). `on_retry` sees each retryable error and the
    /// wait before the next try (for logs, metrics).
    pub async fn run_until<T, E, Fut, F, N>(
        &self,
        op: F,
        mut on_retry: N,
        shutdown: Shutdown,
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: RetryHint,
        N: FnMut(&E, Duration),
    {
        let sleep = move |d: Duration| {
            let mut s = shutdown.clone();
            async move { s.sleep(d).await }
        };
        op.retry(self.builder())
            .sleep(sleep)
            .when(|e: &E| e.is_retryable())
            .adjust(|e: &E, d: Option<Duration>| wait_before_next_try(e.retry_after(), d))
            .notify(|e: &E, d: Duration| on_retry(e, d))
            .await
    }
}

/// The wait before the next try: the server's `Retry-After` if given (never earlier), else a
/// full-jitter draw in `[0, backoff)`. `None` (no more tries) stays `None`.
pub fn wait_before_next_try(
    retry_after: Option<Duration>,
    backoff: Option<Duration>,
) -> Option<Duration> {
    let backoff = backoff?;
    Some(match retry_after {
        Some(ra) => ra,
        None => backoff.mul_f64(fastrand::f64()),
    })
}

/// Parses a `Retry-After` header value: delay-seconds, or an HTTP date relative to `now`.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug)]
    struct Fail {
        retry_after: Option<Duration>,
        retryable: bool,
    }
    impl RetryHint for Fail {
        fn is_retryable(&self) -> bool {
            self.retryable
        }
        fn retry_after(&self) -> Option<Duration> {
            self.retry_after
        }
    }

    #[test]
    fn delays_double_from_initial_up_to_the_cap() {
        let p = RetryPolicy::default();
        let d: Vec<_> = p.delays().take(10).collect();
        assert_eq!(d[0], Duration::from_millis(500));
        assert_eq!(d[1], Duration::from_secs(1));
        assert_eq!(d[2], Duration::from_secs(2));
        assert_eq!(d[8], Duration::from_secs(60));
        assert_eq!(d[9], Duration::from_secs(60));
    }

    #[test]
    fn full_jitter_stays_below_the_backoff_and_retry_after_wins() {
        for _ in 0..1000 {
            let w = wait_before_next_try(None, Some(Duration::from_secs(4))).unwrap();
            assert!(w < Duration::from_secs(4));
        }
        assert_eq!(
            wait_before_next_try(Some(Duration::from_secs(7)), Some(Duration::from_millis(1))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            wait_before_next_try(Some(Duration::from_secs(7)), None),
            None
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Fri, 20 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[tokio::test(start_paused = true)]
    async fn honours_retry_after_and_never_gives_up_while_retryable() {
        let calls = AtomicUsize::new(0);
        let start = tokio::time::Instant::now();
        let policy = RetryPolicy::default();
        let (_trigger, shutdown) = crate::shutdown::channel();
        let result: Result<usize, Fail> = policy
            .run_until(
                || async {
                    let n = calls.fetch_add(1, Ordering::SeqCst);
                    if n < 30 {
                        Err(Fail {
                            retry_after: (n == 0).then(|| Duration::from_secs(42)),
                            retryable: true,
                        })
                    } else {
                        Ok(n)
                    }
                },
                |_, _| {},
                shutdown,
            )
            .await;
        assert_eq!(result.unwrap(), 30);
        // The first wait alone was the server's 42 s.
        assert!(start.elapsed() >= Duration::from_secs(42));
        // 29 more waits, each below the 60 s cap.
        assert!(start.elapsed() < Duration::from_secs(42 + 29 * 60));
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_once_on_a_non_retryable_error() {
        let calls = AtomicUsize::new(0);
        let (_trigger, shutdown) = crate::shutdown::channel();
        let result: Result<(), Fail> = RetryPolicy::default()
            .run_until(
                || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(Fail {
                        retry_after: None,
                        retryable: false,
                    })
                },
                |_, _| {},
                shutdown,
            )
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_cuts_the_wait_short() {
        let calls = AtomicUsize::new(0);
        let start = tokio::time::Instant::now();
        let (trigger, shutdown) = crate::shutdown::channel();
        let watching = shutdown.clone();
        let result: Result<(), Fail> = RetryPolicy::default()
            .run_until(
                || async {
                    // As the drain does: a try after the shutdown gives up at once.
                    if watching.is_triggered() {
                        return Err(Fail {
                            retry_after: None,
                            retryable: false,
                        });
                    }
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(Fail {
                        retry_after: Some(Duration::from_secs(3600)),
                        retryable: true,
                    })
                },
                // The shutdown trips while the policy waits out the server's hour.
                |_, _| trigger.trigger(),
                shutdown,
            )
            .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(
            start.elapsed() < Duration::from_secs(3600),
            "waited the hour out"
        );
    }
}
