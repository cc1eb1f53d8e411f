//! A listener that can refuse connections: during a `ConnectionRefused` outage the listening socket
//! is closed (connects fail) and connections opened before the outage are reset on their next
//! read or write; when the outage ends, the same address is bound again.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Switches the listener: `true` refuses connections. Each switch to `true` starts a new epoch,
/// which kills the connections of the previous ones. Every request carries a generation number;
/// the listener acknowledges a generation once its socket is closed or bound again, so
/// [`RefuseSwitch::settled`] can wait for it.
#[derive(Clone)]
pub(crate) struct RefuseSwitch {
    requested: Arc<watch::Sender<(u64, bool)>>,
    applied: Arc<watch::Sender<u64>>,
    epoch: Arc<AtomicU64>,
}

impl RefuseSwitch {
    pub fn new(refusing: bool) -> RefuseSwitch {
        RefuseSwitch {
            requested: Arc::new(watch::Sender::new((0, refusing))),
            applied: Arc::new(watch::Sender::new(0)),
            epoch: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn set(&self, refusing: bool) {
        let (generation, was) = *self.requested.borrow();
        if refusing == was {
            return;
        }
        if refusing {
            self.epoch.fetch_add(1, Ordering::SeqCst);
        }
        self.requested.send_replace((generation + 1, refusing));
    }

    /// Waits until the listener has applied the last switch (returns at once if the server is
    /// gone).
    pub async fn settled(&self) {
        let wanted = self.requested.borrow().0;
        let mut applied = self.applied.subscribe();
        let _ = applied.wait_for(|done| *done >= wanted).await;
    }

    pub fn listener(&self, bound: TcpListener, addr: SocketAddr) -> RefusingListener {
        RefusingListener {
            addr,
            inner: Some(bound),
            switch: self.requested.subscribe(),
            switch_gone: false,
            applied: self.applied.clone(),
            epoch: self.epoch.clone(),
        }
    }
}

pub(crate) struct RefusingListener {
    addr: SocketAddr,
    inner: Option<TcpListener>,
    switch: watch::Receiver<(u64, bool)>,
    switch_gone: bool,
    applied: Arc<watch::Sender<u64>>,
    epoch: Arc<AtomicU64>,
}

impl axum::serve::Listener for RefusingListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (generation, refusing) = *self.switch.borrow_and_update();
            if refusing && !self.switch_gone {
                self.inner = None;
                self.applied.send_replace(generation);
                if self.switch.changed().await.is_err() {
                    self.switch_gone = true;
                }
                continue;
            }
            let listener = match self.inner.take() {
                Some(listener) => listener,
                None => match TcpListener::bind(self.addr).await {
                    Ok(listener) => listener,
                    Err(e) => {
                        tracing::warn!(addr = %self.addr, error = %e, "sim acd: cannot re-bind after outage, retrying");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            self.applied.send_replace(generation);
            let outcome = tokio::select! {
                accepted = listener.accept() => Some(accepted),
                changed = self.switch.changed(), if !self.switch_gone => {
                    self.switch_gone = changed.is_err();
                    None
                }
            };
            self.inner = Some(listener);
            match outcome {
                Some(Ok((stream, peer))) => {
                    // Small JSON answers: do not wait for Nagle.
                    let _ = stream.set_nodelay(true);
                    let born = self.epoch.load(Ordering::SeqCst);
                    let epoch = self.epoch.clone();
                    return (
                        KillableStream {
                            stream,
                            born,
                            epoch,
                        },
                        peer,
                    );
                }
                Some(Err(e)) => {
                    // e.g. too many open files: back off instead of spinning.
                    tracing::warn!(error = %e, "sim acd: accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                None => {}
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// A TCP connection that fails once a refusing outage began after it was accepted.
pub(crate) struct KillableStream {
    stream: TcpStream,
    born: u64,
    epoch: Arc<AtomicU64>,
}

impl KillableStream {
    fn killed(&self) -> bool {
        self.epoch.load(Ordering::SeqCst) != self.born
    }
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "sim acd outage")
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
