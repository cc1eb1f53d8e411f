//! A named shutdown signal instead of a bare channel: SIGTERM / Ctrl-C trip it once, every loop
//! holds a [`Shutdown`] and stops at its next safe point.

use tokio::sync::watch;

/// Trips the shutdown for every [`Shutdown`] made from it.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// A loop's view of the shutdown signal.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new trigger and its first listener.
pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(rx))
}

impl ShutdownTrigger {
    pub fn trigger(&self) {
        // send_replace never fails, even with no listener left.
        self.0.send_replace(true);
    }
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Shutdown {
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the shutdown is tripped (at once if it already is).
    pub async fn wait(&mut self) {
        // An error means the trigger is gone: treat that as a shutdown too.
        let _ = self.0.wait_for(|v| *v).await;
    }

    /// Sleeps for `d`, or less if the shutdown trips meanwhile.
    pub async fn sleep(&mut self, d: std::time::Duration) {
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = self.wait() => {}
        }
    }
}
