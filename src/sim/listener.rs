//! The simulators' TCP listener, which can play a server that is down at the network level: when
//! switched to refuse, it closes its port (connects are refused) and resets the connections it
//! accepted before; when switched back, it listens again on the same address.
//!
//! Both simulators serve axum through it, for their connection-refused outages (`sim acd`'s
//! `OutageKind::ConnectionRefused`, from `sim::faults`).
//!
//! How it works: [`SwitchableListener::bind`] returns the listener, which goes to `axum::serve`,
//! and its [`PortSwitch`], which the simulator keeps. The switch writes what it wants into a
//! `watch` channel; the accept loop applies each change and acknowledges it on a second channel,
//! so [`PortSwitch::settled`] returns only once the port really is closed or open again. Every
//! accepted connection is a [`KillableStream`] that watches the same channel and fails with
//! "connection reset" as soon as the port closes after it was accepted.

use axum::serve::Listener;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

/// How long [`PortSwitch::settled`] waits for the accept loop. It acknowledges within a scheduling
/// round; the bound only guards against a port that cannot be bound again or a stuck server.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the switch asks of the listener.
#[derive(Debug, Clone, Copy, Default)]
struct Wanted {
    /// The port is closed.
    refusing: bool,
    /// Bumped on every change; the accept loop acknowledges it once applied.
    generation: u64,
    /// Bumped each time the port closes: connections accepted before are reset.
    kills: u64,
}

/// Closes and reopens the port of one [`SwitchableListener`]. Clones switch the same port.
///
/// Dropping every switch means the server is going away: the listener stops accepting and the
/// open connections are reset.
#[derive(Clone)]
pub struct PortSwitch {
    addr: SocketAddr,
    wanted: watch::Sender<Wanted>,
    /// The last generation the accept loop applied; closed once the listener is dropped.
    applied: watch::Receiver<u64>,
}

impl PortSwitch {
    /// Asks the listener to close (`true`) or reopen (`false`) the port, without waiting. Asking
    /// again for the state already asked for does nothing (it does not reset connections again).
    pub fn set_refusing(&self, refusing: bool) {
        self.wanted.send_if_modified(|wanted| {
            if wanted.refusing == refusing {
                return false;
            }
            wanted.refusing = refusing;
            wanted.generation += 1;
            if refusing {
                wanted.kills += 1;
            }
            true
        });
    }

    /// Waits until the accept loop has applied the last [`PortSwitch::set_refusing`]: the port is
    /// closed and older connections reset, or it listens again. Returns at once if the server is
    /// gone; logs a warning and returns after 5 s if the loop did not get there.
    pub async fn settled(&self) {
        let wanted = self.wanted.borrow().generation;
        let mut applied = self.applied.clone();
        let done = applied.wait_for(|generation| *generation >= wanted);
        if tokio::time::timeout(SETTLE_TIMEOUT, done).await.is_err() {
            tracing::warn!(addr = %self.addr, "sim: the port did not close or reopen in time");
        }
    }

    /// [`PortSwitch::set_refusing`], then [`PortSwitch::settled`].
    pub async fn switch(&self, refusing: bool) {
        self.set_refusing(refusing);
        self.settled().await;
    }
}

/// A TCP listener for `axum::serve` that follows its [`PortSwitch`].
pub struct SwitchableListener {
    addr: SocketAddr,
    /// `None` while refusing: dropping the socket is what closes the port.
    socket: Option<TcpListener>,
    wanted: watch::Receiver<Wanted>,
    applied: watch::Sender<u64>,
}

impl SwitchableListener {
    /// Binds `addr` (port 0 picks a free port), listening. Must be called within a tokio runtime.
    pub fn bind(addr: SocketAddr) -> io::Result<(SwitchableListener, PortSwitch)> {
        let socket = bind_reusable(addr)?;
        let addr = socket.local_addr()?;
        let (wanted_tx, wanted) = watch::channel(Wanted::default());
        let (applied, applied_rx) = watch::channel(0);
        let listener = SwitchableListener {
            addr,
            socket: Some(socket),
            wanted,
            applied,
        };
        let switch = PortSwitch {
            addr,
            wanted: wanted_tx,
            applied: applied_rx,
        };
        Ok((listener, switch))
    }

    /// The address bound, with the real port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// SO_REUSEADDR so that the port can be bound again right after an outage closed it.
fn bind_reusable(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Waits for the next switch. When every switch is gone the server is going away: waits forever,
/// and axum's graceful shutdown ends the accept loop.
async fn next_change(wanted: &mut watch::Receiver<Wanted>) {
    if wanted.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Listener for SwitchableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (KillableStream, SocketAddr) {
        loop {
            let wanted = *self.wanted.borrow_and_update();
            if wanted.refusing {
                // Connects are refused from here on.
                self.socket = None;
                self.applied.send_replace(wanted.generation);
                next_change(&mut self.wanted).await;
                continue;
            }
            let socket = match self.socket.take() {
                Some(socket) => socket,
                None => match bind_reusable(self.addr) {
                    Ok(socket) => socket,
                    Err(e) => {
                        tracing::warn!(addr = %self.addr, error = %e, "sim: cannot listen again; retrying");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            self.applied.send_replace(wanted.generation);
            let socket = self.socket.insert(socket);
            tokio::select! {
                // The inherent accept (with its error), not `Listener::accept`.
                accepted = TcpListener::accept(socket) => match accepted {
                    Ok((stream, peer)) => {
                        // Small JSON answers: do not let Nagle hold them back.
                        let _ = stream.set_nodelay(true);
                        let stream = KillableStream::new(stream, self.wanted.clone(), wanted.kills);
                        return (stream, peer);
                    }
                    Err(e) => {
                        // e.g. too many open files: wait a little instead of spinning.
                        tracing::debug!(addr = %self.addr, error = %e, "sim: accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
                () = next_change(&mut self.wanted) => {}
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// An accepted TCP connection that fails with "connection reset" once the port closes.
pub struct KillableStream {
    inner: TcpStream,
    killed: bool,
    /// Resolves when the port closes after this connection was accepted. A future rather than a
    /// check of the counter so that a kill also wakes a connection idle in a read.
    kill_signal: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl KillableStream {
    fn new(inner: TcpStream, mut wanted: watch::Receiver<Wanted>, born_at: u64) -> Self {
        let kill_signal = Box::pin(async move {
            // A closed channel means the server is going away: a kill too.
            let _ = wanted.wait_for(|wanted| wanted.kills != born_at).await;
        });
        KillableStream {
            inner,
            killed: false,
            kill_signal,
        }
    }

    /// Has the connection been killed? Registers the waker, so a kill wakes an idle connection.
    fn poll_killed(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.killed && self.kill_signal.as_mut().poll(cx).is_ready() {
            self.killed = true;
        }
        self.killed
    }
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "simulated outage")
}

impl AsyncRead for KillableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_killed(cx) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.poll_killed(cx) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.poll_killed(cx) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_killed(cx) {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // A killed connection has nothing left to shut down cleanly.
        if this.poll_killed(cx) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;
    use tokio::io::AsyncReadExt;

    fn bind_free_port() -> (SwitchableListener, PortSwitch) {
        SwitchableListener::bind((Ipv4Addr::LOCALHOST, 0).into()).unwrap()
    }

    #[tokio::test]
    async fn refusing_closes_the_port_and_reopening_listens_on_the_same_address() {
        let (mut listener, switch) = bind_free_port();
        let addr = listener.addr();
        // The accept loop must run for the switches to be applied.
        tokio::spawn(async move {
            loop {
                drop(Listener::accept(&mut listener).await);
            }
        });
        assert!(TcpStream::connect(addr).await.is_ok());

        switch.switch(true).await;
        let refused = TcpStream::connect(addr).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::ConnectionRefused);

        switch.switch(false).await;
        assert!(TcpStream::connect(addr).await.is_ok());
    }

    #[tokio::test]
    async fn closing_the_port_wakes_and_resets_idle_connections_accepted_before() {
        let (mut listener, switch) = bind_free_port();
        let _client = TcpStream::connect(listener.addr()).await.unwrap();
        let (mut accepted, _) = Listener::accept(&mut listener).await;
        let idle_read = tokio::spawn(async move { accepted.read(&mut [0u8; 16]).await });
        // Let the read park: only the kill can wake it, the client sends nothing.
        tokio::task::yield_now().await;

        switch.set_refusing(true);
        let read = tokio::time::timeout(Duration::from_secs(5), idle_read).await;
        let err = read.unwrap().unwrap().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    }
}
