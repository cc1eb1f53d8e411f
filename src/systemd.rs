//! systemd integration: `READY=1`, `WATCHDOG=1`, `STATUS=` (no-ops outside systemd).

use sd_notify::NotifyState;

/// Tells systemd the buffer is open and the config valid.
pub fn notify_ready() {
    if let Err(e) = sd_notify::notify(&[NotifyState::Ready]) {
        tracing::debug!(error = %e, "sd_notify READY failed");
    }
}

/// A human-readable status line for `systemctl status`.
pub fn notify_status(line: &str) {
    let _ = sd_notify::notify(&[NotifyState::Status(line)]);
}

/// Tells systemd we are stopping.
pub fn notify_stopping() {
    let _ = sd_notify::notify(&[NotifyState::Stopping]);
}

/// The watchdog period systemd asked for, if any (`WatchdogSec=`): ping at half of it.
pub fn watchdog_interval() -> Option<std::time::Duration> {
    sd_notify::watchdog_enabled().map(|d| d / 2)
}

/// Pings the watchdog: called from the main loop, so a wedged runtime stops the pings.
pub fn notify_watchdog() {
    let _ = sd_notify::notify(&[NotifyState::Watchdog]);
}
