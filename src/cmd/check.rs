//! `check-config [--connect]`: validates the config and prints it with secrets redacted;
//! `--connect` also reads the Activities list from TaskRouter and gets a WFM token.

use super::{EX_OK, EX_UNAVAILABLE, load_config};
use crate::acd::AcdSource;
use crate::acd::twilio::TwilioClient;
use crate::metrics::Metrics;
use crate::wfm::WfmClient;
use std::path::Path;

pub async fn check_config(path: &Path, connect: bool) -> u8 {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    println!(
        "# {}: valid; effective configuration (secrets redacted):",
        path.display()
    );
    print!("{}", config.redacted_toml());
    if !connect {
        return EX_OK;
    }
    let mut code = EX_OK;
    match TwilioClient::new(&config.acd) {
        Ok(acd) => match acd.activities().await {
            Ok(a) => println!(
                "# ACD: reached {}, {} Activities",
                config.acd.base_url,
                a.len()
            ),
            Err(e) => {
                eprintln!("error: [acd] {}: {e}", config.acd.base_url);
                code = EX_UNAVAILABLE;
            }
        },
        Err(e) => {
            eprintln!("error: [acd] {e}");
            code = EX_UNAVAILABLE;
        }
    }
    match WfmClient::new(&config.wfm, Metrics::new()) {
        Ok(wfm) => match wfm.authenticate().await {
            Ok(()) => println!("# WFM: reached {}, token issued", config.wfm.service_url),
            Err(e) => {
                eprintln!("error: [wfm] {}: {e}", config.wfm.service_url);
                code = EX_UNAVAILABLE;
            }
        },
        Err(e) => {
            eprintln!("error: [wfm] {e}");
            code = EX_UNAVAILABLE;
        }
    }
    code
}
