//! `[webhook]` (issue 11): off unless `listen` is set; then `public_url` and the Auth Token are
//! required; the token comes inline, from a file or a systemd credential, never shows, and is not
//! needed by the commands that only read the buffer; an http `public_url` is warned about.

use super::*;
use wfm_connector::config::load_local_from_str;

const TOKEN: &str = "tw1l10-auth-t0ken";

fn webhook(lines: &str) -> String {
    minimal(&format!("\n[webhook]\n{lines}\n"))
}

const ON: &str =
    "listen = \"127.0.0.1:9465\"\npublic_url = \"https://c.example.com/twilio/events\"";

#[test]
fn the_push_path_is_off_unless_listen_is_set() {
    assert!(load_text(&minimal("")).unwrap().config.webhook.is_none());
    for off in ["listen = \"off\"", "listen = \"\""] {
        assert!(
            load_text(&webhook(off)).unwrap().config.webhook.is_none(),
            "{off}"
        );
    }
    let rendered = load_text(&minimal("")).unwrap().config.redacted_toml();
    assert!(
        rendered.contains("[webhook]\nlisten = \"off\""),
        "{rendered}"
    );
}

#[test]
fn listen_needs_a_public_url_and_a_token() {
    let c = load_text(&webhook(&format!("{ON}\nauth_token = \"{TOKEN}\"")))
        .unwrap()
        .config;
    let w = c.webhook.as_ref().unwrap();
    assert_eq!(w.listen, "127.0.0.1:9465".parse().unwrap());
    assert_eq!(w.path, "/twilio/events");
    assert_eq!(w.auth_token.expose(), TOKEN);
    let e = err(&webhook("listen = \"127.0.0.1:9465\""));
    assert_eq!(e, "config.toml: [webhook] public_url: missing");
    let e = err(&webhook(ON));
    assert!(
        e.starts_with("config.toml: [webhook] auth_token: missing"),
        "{e}"
    );
    assert!(e.contains("twilio-auth-token"), "names the credential: {e}");
    let e = err(&webhook(
        "listen = \"everywhere\"\npublic_url = \"https://c/x\"",
    ));
    assert!(e.starts_with("config.toml: [webhook] listen: \"everywhere\" is not an address"));
    let bad_url = ON.replace("https://c.example.com/twilio/events", "https://u:pw@c/x");
    let e = err(&webhook(&format!("{bad_url}\nauth_token = \"{TOKEN}\"")));
    assert!(
        e.contains("[webhook] public_url") && !e.contains(":pw@"),
        "{e}"
    );
}

#[test]
fn the_token_comes_from_a_file_or_a_credential_and_never_shows() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    let text = webhook(&format!(
        "{ON}\nauth_token_file = {:?}",
        file.display().to_string()
    ));
    let c = load_text(&text).unwrap().config;
    assert_eq!(c.webhook.as_ref().unwrap().auth_token.expose(), TOKEN);
    std::fs::write(dir.path().join("twilio-auth-token"), TOKEN).unwrap();
    let c = load_from_str(&webhook(ON), "config.toml", &[], Some(dir.path()))
        .unwrap()
        .config;
    assert_eq!(c.webhook.as_ref().unwrap().auth_token.expose(), TOKEN);
    let env = [("WFM_CONNECTOR__WEBHOOK__AUTH_TOKEN", TOKEN)];
    let c = load_env(&webhook(ON), &env).unwrap().config;
    let rendered = c.redacted_toml();
    assert!(
        rendered.contains("auth_token = \"[redacted]\""),
        "{rendered}"
    );
    assert!(rendered.contains("public_url = \"https://c.example.com/twilio/events\""));
    for shown in [rendered, format!("{c:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
    }
    // status and replay load without it.
    let local = load_local_from_str(&webhook(ON), "config.toml", &[]).unwrap();
    assert_eq!(local.warnings, Vec::<String>::new());
}

#[test]
fn a_public_url_that_is_not_https_is_warned_about() {
    let http = ON.replace("https://", "http://");
    let loaded = load_text(&webhook(&format!("{http}\nauth_token = \"{TOKEN}\""))).unwrap();
    assert_eq!(loaded.warnings.len(), 1, "{:?}", loaded.warnings);
    assert!(loaded.warnings[0].starts_with("config.toml: [webhook] public_url: \"http://"));
    assert!(loaded.warnings[0].contains("TLS terminator"));
    let https = load_text(&webhook(&format!("{ON}\nauth_token = \"{TOKEN}\""))).unwrap();
    assert!(https.warnings.is_empty(), "{:?}", https.warnings);
}
