//! Secrets: inline, `*_file`, systemd credentials, precedence, and that no secret ever shows in
//! `Debug`, a rendering or an error.

use super::*;

#[test]
fn secret_inline_in_file() {
    let c = load_text(&minimal("")).unwrap().config;
    assert_eq!(c.acd.password.expose(), ACD_SECRET);
    assert_eq!(c.wfm.access_key_secret.expose(), WFM_SECRET);
}

#[test]
fn secret_from_file_loses_only_the_trailing_newline() {
    let dir = tempfile::tempdir().unwrap();
    let (acd, wfm) = (dir.path().join("acd"), dir.path().join("wfm"));
    std::fs::write(&acd, "007\n").unwrap();
    std::fs::write(&wfm, " spaced secret \r\n").unwrap();
    let text = without_secrets("")
        .replace(
            "[acd]\n",
            &format!("[acd]\npassword_file = {:?}\n", acd.display().to_string()),
        )
        .replace(
            "[wfm]\n",
            &format!(
                "[wfm]\naccess_key_secret_file = {:?}\n",
                wfm.display().to_string()
            ),
        );
    let c = load_text(&text).unwrap().config;
    assert_eq!(c.acd.password.expose(), "007");
    assert_eq!(c.wfm.access_key_secret.expose(), " spaced secret ");
}

#[test]
fn secret_from_systemd_credentials_directory() {
    let creds = credentials("acd-cred\n", "wfm-cred");
    let c = load_from_str(&without_secrets(""), "config.toml", &[], Some(creds.path()))
        .unwrap()
        .config;
    assert_eq!(c.acd.password.expose(), "acd-cred");
    assert_eq!(c.wfm.access_key_secret.expose(), "wfm-cred");
}

#[test]
fn secret_precedence_is_inline_then_file_then_credential() {
    let creds = credentials("from-credential", "from-credential");
    let file = creds.path().join("file-secret");
    std::fs::write(&file, "from-file\n").unwrap();
    let file_line = format!("password_file = {:?}\n", file.display().to_string());
    let inline_and_file = minimal("").replace("[acd]\n", &format!("[acd]\n{file_line}"));
    let loaded = load_from_str(&inline_and_file, "c.toml", &[], Some(creds.path())).unwrap();
    assert_eq!(loaded.config.acd.password.expose(), ACD_SECRET);
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("[acd] password_file: ignored"))
    );
    let file_only = without_secrets("").replace("[acd]\n", &format!("[acd]\n{file_line}"));
    let c = load_from_str(&file_only, "c.toml", &[], Some(creds.path()))
        .unwrap()
        .config;
    assert_eq!(c.acd.password.expose(), "from-file");
    assert_eq!(c.wfm.access_key_secret.expose(), "from-credential");
}

#[test]
fn missing_secret_is_an_error_naming_the_key() {
    let e = err(&without_secrets(""));
    assert!(
        e.starts_with("config.toml: [acd] password: missing; set password = "),
        "{e}"
    );
    assert!(e.contains("\"acd-password\""), "{e}");
    let text = without_secrets("").replace("[acd]\n", "[acd]\npassword = \"x\"\n");
    assert!(err(&text).starts_with("config.toml: [wfm] access_key_secret: missing"));
}

#[test]
fn config_debug_and_errors_never_show_secrets() {
    let loaded = load_text(&minimal("")).unwrap();
    let mut shown = vec![
        format!("{:?}", loaded.config),
        format!("{loaded:?}"),
        loaded.config.redacted_toml(),
    ];
    let missing_file = "password_file = \"/nonexistent/wfm-connector-secret\"\n";
    let failing = [
        minimal("").replace("https://wfm.example.com", "http://wfm.example.com"),
        minimal("").replace(&format!("\"{ACD_SECRET}\""), &format!("\"{ACD_SECRET}")),
        minimal("").replace("password =", "pasword ="),
        minimal("").replace(
            &format!("password = \"{ACD_SECRET}\""),
            &format!("password = [\"{ACD_SECRET}\"]"),
        ),
        minimal("")
            .replace("[acd]\n", &format!("[acd]\n{missing_file}"))
            .replace("password =", "#"),
        minimal("[reports]\ninterval = \"7m\"\n"),
        minimal("[wfm.extra]\nx = 1\n"),
    ];
    for text in &failing {
        let e = load_text(text).unwrap_err();
        shown.push(e.to_string());
        shown.push(format!("{e:?}"));
    }
    let env = [
        ("WFM_CONNECTOR__ACD__PASSWORD", ACD_SECRET),
        ("WFM_CONNECTOR__ACD__PASWORD", WFM_SECRET),
    ];
    let e = load_env(&without_secrets(""), &env).unwrap_err();
    shown.push(e.to_string());
    shown.push(format!("{e:?}"));
    for s in &shown {
        assert!(
            !s.contains(ACD_SECRET) && !s.contains(WFM_SECRET),
            "secret leaked: {s}"
        );
        assert!(!s.contains("s3cr3t"), "secret leaked: {s}");
    }
}

#[cfg(unix)]
#[test]
fn load_warns_when_a_file_with_a_secret_is_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, minimal("")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loaded = load(&path).unwrap();
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.contains("readable by group or others (mode 0644)"))
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(load(&path).unwrap().warnings.is_empty());
}
