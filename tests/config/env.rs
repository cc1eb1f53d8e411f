//! `WFM_CONNECTOR__SECTION__KEY` overrides: nesting, the prefix separator, errors naming the
//! variable, and secrets taken verbatim.

use super::*;

#[test]
fn env_overrides_nested_keys() {
    let loaded = load_env(
        &minimal(""),
        &[
            ("WFM_CONNECTOR__ACD__POLL_INTERVAL", "5s"),
            ("WFM_CONNECTOR__WFM__BATCH_SIZE", "100"),
            ("WFM_CONNECTOR__MEDIA__CHANNELS__WHATSAPP", "chat"),
            ("WFM_CONNECTOR__ADMIN__LISTEN", "off"),
        ],
    )
    .unwrap();
    let c = loaded.config;
    assert_eq!(c.acd.poll_interval, Duration::from_secs(5));
    assert_eq!(c.wfm.batch_size, 100);
    assert_eq!(
        c.media.media_for(Some("whatsapp"), None).as_deref(),
        Some("chat")
    );
    assert_eq!(
        c.media.media_for(Some("voice"), None).as_deref(),
        Some("voice")
    );
    assert_eq!(c.admin.listen, None);
}

#[test]
fn env_prefix_is_separated_by_two_underscores() {
    // One underscore after the prefix: not ours, ignored.
    let c = load_env(&minimal(""), &[("WFM_CONNECTOR_ACD__POLL_INTERVAL", "9s")]).unwrap();
    assert_eq!(c.config.acd.poll_interval, Duration::from_secs(2));
    // One underscore between section and key: refused, explaining the form.
    let e = load_env(&minimal(""), &[("WFM_CONNECTOR__ACD_POLL_INTERVAL", "9s")]).unwrap_err();
    assert!(e.to_string().contains("WFM_CONNECTOR__SECTION__KEY"), "{e}");
}

#[test]
fn env_unknown_key_is_refused_naming_the_variable() {
    let e = load_env(&minimal(""), &[("WFM_CONNECTOR__WFM__BATCHSIZE", "1")]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "$WFM_CONNECTOR__WFM__BATCHSIZE: [wfm] batchsize: unknown key; did you mean `batch_size`?"
    );
}

#[test]
fn env_value_errors_name_the_variable() {
    let e = load_env(&minimal(""), &[("WFM_CONNECTOR__WFM__BATCH_SIZE", "lots")]).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("$WFM_CONNECTOR__WFM__BATCH_SIZE: [wfm] batch_size: "),
        "{e}"
    );
    let e = load_env(
        &minimal(""),
        &[("WFM_CONNECTOR__WFM__SERVICE_URL", "http://wfm.example.com")],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "$WFM_CONNECTOR__WFM__SERVICE_URL: [wfm] service_url: \"http://wfm.example.com\" \
         must be https unless the host is loopback"
    );
}

#[test]
fn secret_from_env_is_taken_verbatim() {
    let env = [
        ("WFM_CONNECTOR__ACD__PASSWORD", "007"),
        ("WFM_CONNECTOR__WFM__ACCESS_KEY_SECRET", " 1e3 "),
    ];
    let c = load_env(&without_secrets(""), &env).unwrap().config;
    assert_eq!(c.acd.password.expose(), "007");
    assert_eq!(c.wfm.access_key_secret.expose(), " 1e3 ");
}
