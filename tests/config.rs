//! Black-box tests of configuration loading (SPEC §8): the shipped example, defaults, durations,
//! environment overrides, secrets, validation messages, and that no secret ever leaks.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use std::path::Path;
use std::time::Duration;
use wfm_connector::config::{AgentIdMode, ConfigError, Loaded, LogFormat, load, load_from_str};
use wfm_connector::model::AgentState;
use wfm_connector::report::queue::QueueReportSettings;

const ACD_SECRET: &str = "acd-s3cr3t-value";
const WFM_SECRET: &str = "wfm-s3cr3t-value";

/// Required keys and both secrets inline; `extra` is appended.
fn minimal(extra: &str) -> String {
    format!(
        r#"
[acd]
workspace_sid = "WS0123456789abcdef0123456789abcdef"
username = "SK0123456789abcdef0123456789abcdef"
password = "{ACD_SECRET}"

[wfm]
service_url = "https://wfm.example.com"
tenant_name = "acme"
access_key_id = "key-1"
access_key_secret = "{WFM_SECRET}"
{extra}"#
    )
}

/// The file without secrets, so they must come from elsewhere.
fn without_secrets(extra: &str) -> String {
    minimal(extra)
        .lines()
        .filter(|l| !l.starts_with("password =") && !l.starts_with("access_key_secret ="))
        .collect::<Vec<_>>()
        .join("\n")
}

fn load_text(text: &str) -> Result<Loaded, ConfigError> {
    load_from_str(text, "config.toml", &[], None)
}

fn load_env(text: &str, env: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    load_from_str(text, "config.toml", &env, None)
}

/// `text` with `key = value` set in `[section]` (appended as a second table would be invalid).
fn with(section: &str, key: &str, value: &str) -> String {
    let base = minimal("");
    let header = format!("[{section}]\n");
    if base.contains(&header) {
        base.replacen(&header, &format!("{header}{key} = {value}\n"), 1)
    } else {
        format!("{base}\n{header}{key} = {value}\n")
    }
}

fn err(text: &str) -> String {
    load_text(text).unwrap_err().to_string()
}

fn credentials(acd: &str, wfm: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("acd-password"), acd).unwrap();
    std::fs::write(dir.path().join("wfm-access-key-secret"), wfm).unwrap();
    dir
}

#[path = "config/env.rs"]
mod env;
#[path = "config/secrets.rs"]
mod secrets;
#[path = "config/webhook.rs"]
mod webhook;

#[test]
fn example_file_parses_with_systemd_credentials() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/wfm-connector.toml"
    ))
    .unwrap();
    let creds = credentials("acd-from-credential\n", "wfm-from-credential\n");
    let loaded = load_from_str(&text, "wfm-connector.toml", &[], Some(creds.path())).unwrap();
    let c = &loaded.config;
    assert_eq!(c.acd.password.expose(), "acd-from-credential");
    assert_eq!(c.wfm.access_key_secret.expose(), "wfm-from-credential");
    assert_eq!(c.queues["Support"].sl_threshold_sec, Some(30));
    assert_eq!(c.states["Offline"].state, AgentState::LoggedOut);
    assert_eq!(c.states["Training"].state, AgentState::Unavailable);
    assert_eq!(c.states["Training"].reason.as_deref(), Some("TRN"));
    // The example shows the defaults: it loads like a minimal file, bar the placeholders.
    let defaults = load_text(&minimal("")).unwrap().config;
    assert_eq!(
        format!("{:?}", c.reports),
        format!("{:?}", defaults.reports)
    );
    assert_eq!(c.acd.poll_interval, defaults.acd.poll_interval);
    assert_eq!(c.wfm.retry_initial, defaults.wfm.retry_initial);
    assert_eq!(c.wfm.report_concurrency, defaults.wfm.report_concurrency);
    assert_eq!(c.buffer.retention, defaults.buffer.retention);
    assert_eq!(c.admin.listen, defaults.admin.listen);
    // The only complaint is the workspace placeholder an operator must replace.
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].contains("[acd] workspace_sid"));
}

#[test]
fn defaults_follow_the_spec() {
    let c = load_text(&minimal("")).unwrap().config;
    assert_eq!(c.acd.base_url, "https://taskrouter.twilio.com");
    assert_eq!(c.acd.poll_interval, Duration::from_secs(2));
    assert_eq!(c.acd.overlap, Duration::from_secs(10));
    assert_eq!(c.acd.agent_id, AgentIdMode::FriendlyName);
    assert_eq!(c.acd.page_size, 1000);
    assert_eq!(c.acd.request_timeout, Duration::from_secs(30));
    assert_eq!(c.acd.workers_refresh, Duration::from_secs(300));
    assert_eq!(c.wfm.batch_size, 500);
    assert_eq!(c.wfm.report_concurrency, 4);
    assert_eq!(c.wfm.heartbeat_interval, Duration::from_secs(60));
    assert_eq!(c.wfm.snapshot_interval, Duration::from_secs(900));
    assert_eq!(c.wfm.token_refresh_ahead, Duration::from_secs(300));
    assert_eq!(c.wfm.retry_initial, Duration::from_millis(500));
    assert_eq!(c.wfm.retry_max, Duration::from_secs(60));
    assert!(!c.wfm.connector_id.is_empty());
    assert_eq!(c.buffer.path, Path::new("/var/lib/wfm-connector/buffer.db"));
    assert_eq!(c.buffer.retention, Duration::from_secs(7 * 86_400));
    assert_eq!(c.reports.interval, Duration::from_secs(900));
    assert_eq!(c.reports.settle_delay, Duration::from_secs(120));
    assert_eq!(c.reports.resend_window, Duration::from_secs(8100));
    assert_eq!(
        (c.reports.short_abandon_sec, c.reports.sl_threshold_sec),
        (5, 20)
    );
    assert_eq!(
        c.media.media_for(Some("video"), None).as_deref(),
        Some("web")
    );
    assert_eq!(c.media.media_for(Some("email"), None), None);
    assert_eq!(c.media.attribute, "channelType");
    assert_eq!(c.admin.listen, Some("127.0.0.1:9464".parse().unwrap()));
    assert_eq!(
        (c.log.format, c.log.level.as_str()),
        (LogFormat::Text, "info")
    );
}

#[test]
fn every_duration_form_is_accepted() {
    let text = minimal("")
        .replace("[acd]\n", "[acd]\npoll_interval = \"2s\"\n")
        .replace("[wfm]\n", "[wfm]\nretry_initial = \"500ms\"\n")
        + "[reports]\ninterval = \"15m\"\nresend_window = \"2h15m\"\n[buffer]\nretention = \"7d\"\n";
    let c = load_text(&text).unwrap().config;
    assert_eq!(c.acd.poll_interval, Duration::from_secs(2));
    assert_eq!(c.wfm.retry_initial, Duration::from_millis(500));
    assert_eq!(c.reports.interval, Duration::from_secs(900));
    assert_eq!(
        c.reports.resend_window,
        Duration::from_secs(2 * 3600 + 15 * 60)
    );
    assert_eq!(c.buffer.retention, Duration::from_secs(7 * 86_400));
}

#[test]
fn duration_without_unit_is_refused() {
    assert_eq!(
        err(&with("acd", "overlap", "\"10\"")),
        "config.toml: [acd] overlap: \"10\" is not a duration; write a number with a unit: \
         \"500ms\", \"2s\", \"15m\", \"2h15m\", \"7d\""
    );
    assert!(err(&with("acd", "poll_interval", "\"0s\"")).contains("must be longer than 0s"));
}

#[test]
fn missing_required_key_is_named() {
    let text = minimal("").replace("tenant_name = \"acme\"\n", "");
    assert_eq!(err(&text), "config.toml: [wfm] tenant_name: missing");
}

#[test]
fn http_wfm_url_is_refused_unless_loopback() {
    let text = minimal("").replace("https://wfm.example.com", "http://wfm.example.com");
    assert_eq!(
        err(&text),
        "config.toml: [wfm] service_url: \"http://wfm.example.com\" must be https unless the host is loopback"
    );
    for url in [
        "http://127.0.0.1:8080",
        "http://127.3.4.5",
        "http://[::1]:9000/",
        "http://localhost:1",
    ] {
        let text = minimal("").replace("https://wfm.example.com", url);
        let c = load_text(&text)
            .unwrap_or_else(|e| panic!("{url}: {e}"))
            .config;
        assert_eq!(c.wfm.service_url, url.trim_end_matches('/'));
    }
    let text = with("acd", "base_url", "\"http://taskrouter.twilio.com\"");
    assert!(err(&text).starts_with("config.toml: [acd] base_url: "));
    assert!(err(&with("acd", "base_url", "\"not a url\"")).contains("is not a URL"));
}

#[test]
fn report_interval_7m_is_refused() {
    assert_eq!(
        err(&with("reports", "interval", "\"7m\"")),
        "config.toml: [reports] interval: \"7m\" is not a report interval; use 1m, 5m, 15m, 30m or 60m"
    );
}

#[test]
fn report_interval_5m_warns() {
    let loaded = load_text(&with("reports", "interval", "\"5m\"")).unwrap();
    assert_eq!(loaded.config.reports.interval, Duration::from_secs(300));
    assert_eq!(loaded.warnings.len(), 1);
    assert!(loaded.warnings[0].starts_with("config.toml: [reports] interval: \"5m\""));
    let loaded = load_text(&with("reports", "interval", "\"30m\"")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn resend_window_must_be_shorter_than_retention() {
    let text = with("buffer", "retention", "\"2h\"");
    assert!(err(&text).starts_with(
        "config.toml: [reports] resend_window: \"2h15m\" must be shorter than [buffer] retention (\"2h\")"
    ));
}

#[test]
fn numbers_out_of_range_are_refused() {
    assert_eq!(
        err(&with("wfm", "batch_size", "0")),
        "config.toml: [wfm] batch_size: 0 is out of range 1..=10000"
    );
    assert!(err(&with("wfm", "batch_size", "10001")).contains("out of range"));
    assert_eq!(
        err(&with("wfm", "report_concurrency", "0")),
        "config.toml: [wfm] report_concurrency: 0 is out of range 1..=16"
    );
    assert!(err(&with("wfm", "report_concurrency", "17")).contains("out of range"));
    assert!(err(&with("acd", "page_size", "1001")).contains("[acd] page_size"));
    assert!(
        err(&with("wfm", "batch_size", "\"many\"")).starts_with("config.toml: [wfm] batch_size: ")
    );
}

#[test]
fn unknown_key_is_refused_naming_it() {
    assert_eq!(
        err(&with("acd", "pol_interval", "\"2s\"")),
        "config.toml: [acd] pol_interval: unknown key; did you mean `poll_interval`?"
    );
    let e = err(&(minimal("") + "[states.\"Break\"]\nstat = \"Unavailable\"\n"));
    assert!(
        e.starts_with("config.toml: [states.\"Break\"] stat: unknown key"),
        "{e}"
    );
}

#[test]
fn bad_toml_reports_line_and_column() {
    let text = "[acd]\nworkspace_sid = \"WS1\"\nusername = = \"x\"\n";
    let e = err(text);
    assert!(e.starts_with("config.toml:3:"), "{e}");
    assert!(e.contains("invalid TOML"), "{e}");
}

#[test]
fn agent_id_modes() {
    let mode = |v: &str| load_text(&with("acd", "agent_id", v)).map(|l| l.config.acd.agent_id);
    assert_eq!(mode("\"sid\"").unwrap(), AgentIdMode::Sid);
    assert_eq!(
        mode("\"attribute:employee_id\"").unwrap(),
        AgentIdMode::Attribute("employee_id".into())
    );
    let e = mode("\"attribute:\"").unwrap_err().to_string();
    assert!(
        e.starts_with("config.toml: [acd] agent_id: \"attribute:\" is not an agent id mode"),
        "{e}"
    );
}

#[test]
fn states_must_name_an_agent_state() {
    let e = err(&(minimal("") + "[states.\"Break\"]\nstate = \"Busy\"\n"));
    assert!(
        e.starts_with("config.toml: [states.\"Break\"] state: \"Busy\" is not an agent state"),
        "{e}"
    );
}

#[test]
fn media_channels_must_target_a_reported_media_type() {
    let e = err(&(minimal("") + "[media]\nchannels = { email = \"mail\" }\n"));
    assert!(
        e.starts_with("config.toml: [media] channels.email: \"mail\" is not a reported media type"),
        "{e}"
    );
}

#[test]
fn workspace_sid_that_does_not_look_like_ws_warns() {
    let text = minimal("").replace("WS0123456789abcdef0123456789abcdef", "my-workspace");
    let loaded = load_text(&text).unwrap();
    assert!(loaded.warnings[0].starts_with("config.toml: [acd] workspace_sid: \"my-workspace\""));
}

#[test]
fn sl_threshold_by_queue_sid_then_name_then_default() {
    let extra = "[queues.\"Support\"]\nsl_threshold_sec = 30\n\
                 [queues.\"WQ0123\"]\nsl_threshold_sec = 45\n[queues.\"Sales\"]\n";
    let config = load_text(&minimal(extra)).unwrap().config;
    // The rule production uses: the queue report's settings, taken from the configuration.
    let c = QueueReportSettings::from_config(&config.reports, &config.queues);
    assert_eq!(c.sl_threshold_sec("WQ0123", Some("Support")), 45);
    assert_eq!(c.sl_threshold_sec("WQ9999", Some("Support")), 30);
    assert_eq!(c.sl_threshold_sec("WQ9999", Some("Sales")), 20);
    assert_eq!(c.sl_threshold_sec("WQ9999", None), 20);
}

#[test]
fn redacted_toml_hides_secrets_and_loads_again() {
    let c = load_text(&minimal("[queues.\"Support\"]\nsl_threshold_sec = 30\n"))
        .unwrap()
        .config;
    let rendered = c.redacted_toml();
    assert!(
        !rendered.contains(ACD_SECRET) && !rendered.contains(WFM_SECRET),
        "{rendered}"
    );
    assert!(rendered.contains("password = \"[redacted]\""), "{rendered}");
    assert!(rendered.contains("resend_window = \"2h15m\""), "{rendered}");
    let again = load_text(&rendered).unwrap().config;
    assert_eq!(again.redacted_toml(), rendered);
}

#[test]
fn load_names_a_file_it_cannot_read() {
    let e = load(Path::new("/nonexistent/wfm-connector.toml")).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/wfm-connector.toml: cannot read"),
        "{e}"
    );
}

#[test]
fn for_tests_points_at_test_servers_with_defaults() {
    let c = wfm_connector::config::Config::for_tests(
        "http://127.0.0.1:1",
        "http://127.0.0.1:2/",
        Path::new("/tmp/b.db"),
    );
    assert_eq!(c.acd.password.expose(), "acd-secret");
    assert_eq!(c.wfm.access_key_secret.expose(), "wfm-secret");
    assert_eq!(c.wfm.service_url, "http://127.0.0.1:2");
    assert_eq!(c.reports.interval, Duration::from_secs(900));
    // It survives its own rendering, so it is a valid configuration.
    load_text(&c.redacted_toml()).unwrap();
}

/// Issue 10: every problem of a file comes back at once, each naming its key, in file order; a
/// value of the wrong type in one section does not hide the problems of the others.
#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let text = minimal("")
        .replace("tenant_name = \"acme\"\n", "")
        .replace("https://wfm.example.com", "http://wfm.example.com")
        + "[acd]\n"; // a second [acd] table
    // Invalid TOML: nothing else can be read, so that error comes alone.
    assert!(err(&text).contains("invalid TOML"));
    let text = with("acd", "page_size", "true")
        .replace("tenant_name = \"acme\"\n", "")
        .replace("https://wfm.example.com", "http://wfm.example.com")
        + "[log]\nlevel = \"loud\"\nformat = \"xml\"\n[media]\nchannel = {}\n";
    let e = load_text(&text).unwrap_err();
    let problems: Vec<String> = e.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(
        problems,
        vec![
            "config.toml: [media] channel: unknown key; did you mean `channels`?",
            "config.toml: [acd] page_size: expected a whole number, found true",
            "config.toml: [wfm] service_url: \"http://wfm.example.com\" must be https unless the host is loopback",
            "config.toml: [wfm] tenant_name: missing",
            "config.toml: [log] format: \"xml\" is not a log format; use \"text\" or \"json\"",
            "config.toml: [log] level: \"loud\" is not a log level; use trace, debug, info, warn, error, off, or a filter such as \"info,wfm_connector::acd=debug\"",
        ]
    );
    assert_eq!(e.to_string(), problems.join("\n"));
}

#[test]
fn initial_lookback_is_at_most_30_days_and_warns_beyond_retention() {
    let e = err(&with("acd", "initial_lookback", "\"31d\""));
    assert!(e.contains("[acd] initial_lookback"), "{e}");
    assert!(e.contains("30 days"), "{e}");
    let loaded = load_text(&with("acd", "initial_lookback", "\"10d\"")).unwrap();
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].contains("[buffer] retention"));
    let loaded = load_text(&with("acd", "initial_lookback", "\"2d\"")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

/// Each peer has its own backoff: `[acd] retry_*` drive the poller, `[wfm] retry_*` delivery, and
/// setting one section's keys leaves the other's at their defaults.
#[test]
fn acd_retry_keys_are_read_and_independent_of_wfm() {
    let text = minimal("").replace(
        "[acd]\n",
        "[acd]\nretry_initial = \"2s\"\nretry_max = \"5m\"\n",
    );
    let c = load_text(&text).unwrap().config;
    assert_eq!(c.acd.retry_initial, Duration::from_secs(2));
    assert_eq!(c.acd.retry_max, Duration::from_secs(300));
    assert_eq!(c.wfm.retry_initial, Duration::from_millis(500));
    assert_eq!(c.wfm.retry_max, Duration::from_secs(60));
    let text = minimal("").replace("[wfm]\n", "[wfm]\nretry_initial = \"1s\"\n");
    let c = load_text(&text).unwrap().config;
    assert_eq!(c.wfm.retry_initial, Duration::from_secs(1));
    assert_eq!(c.acd.retry_initial, Duration::from_millis(500));
    let policy = wfm_connector::retry::RetryPolicy::from_settings(&c.acd.retry());
    assert_eq!(
        (policy.initial, policy.max, policy.max_tries),
        (Duration::from_millis(500), Duration::from_secs(60), None)
    );
    let e = err(&with("acd", "retry_max", "\"100ms\""));
    assert_eq!(
        e,
        "config.toml: [acd] retry_max: 100ms must not be shorter than retry_initial (500ms)"
    );
    let env = [("WFM_CONNECTOR__ACD__RETRY_INITIAL", "3s")];
    let c = load_env(&minimal(""), &env).unwrap().config;
    assert_eq!(c.acd.retry_initial, Duration::from_secs(3));
    assert_eq!(c.wfm.retry_initial, Duration::from_millis(500));
}
