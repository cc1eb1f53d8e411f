//! The simulator's TCP listener, which can close its port to play a WFM that is down at the
//! network level (connection refused), and reset the connections already open, then listen again
//! on the same address.
//!
//! The switch is a `watch` channel of [`Reachability`] written by the handle; the accept loop
//! applies each change and acknowledges it on a second channel, so the handle can tell when the
//! port really is closed or open again.

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

/// Whether the port should be open, as the handle wants it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reachability {
    /// The port is closed.
    pub refusing: bool,
    /// Bumped on every change, acknowledged by the accept loop once applied.
    pub generation: u64,
    /// Bumped each time the port closes: connections accepted before are reset.
    pub kills: u64,
}

/// A listener that follows a [`Reachability`] switch.
pub struct SwitchableListener {
    addr: SocketAddr,
    listener: Option<TcpListener>,
    reach: watch::Receiver<Reachability>,
    applied: watch::Sender<u64>,
}

impl SwitchableListener {
    /// Binds `addr` (port 0 picks a free port) and returns the listener with its real address.
    pub fn bind(
        addr: SocketAddr,
        reach: watch::Receiver<Reachability>,
        applied: watch::Sender<u64>,
    ) -> io::Result<(SwitchableListener, SocketAddr)> {
        let listener = bind_reusable(addr)?;
        let addr = listener.local_addr()?;
        let listener = SwitchableListener {
            addr,
            listener: Some(listener),
            reach,
            applied,
        };
        Ok((listener, addr))
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

impl Listener for SwitchableListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (KillableStream, SocketAddr) {
        loop {
            let wanted = *self.reach.borrow_and_update();
            if wanted.refusing {
                // Dropping the listener closes the port: connects are refused from here on.
                self.listener = None;
                self.applied.send_replace(wanted.generation);
                if self.reach.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
                continue;
            }
            let listener = match self.listener.take() {
                Some(listener) => listener,
                None => match bind_reusable(self.addr) {
                    Ok(listener) => listener,
                    Err(e) => {
                        tracing::warn!(addr = %self.addr, error = %e, "sim wfm: cannot listen again; retrying");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            self.applied.send_replace(wanted.generation);
            let listener = self.listener.insert(listener);
            tokio::select! {
                // The inherent accept (with its error), not `Listener::accept`.
                accepted = TcpListener::accept(listener) => match accepted {
                    Ok((stream, peer)) => {
                        // Small JSON answers: do not let Nagle hold them back.
                        let _ = stream.set_nodelay(true);
                        return (KillableStream::new(stream, self.reach.clone(), wanted.kills), peer);
                    }
                    Err(e) => {
                        // e.g. too many open files: wait a little instead of spinning.
                        tracing::debug!(error = %e, "sim wfm: accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
                changed = self.reach.changed() => {
                    if changed.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// A TCP connection that fails with "connection reset" as soon as the port is closed by an outage.
pub struct KillableStream {
    inner: TcpStream,
    killed: bool,
    kill_signal: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl KillableStream {
    fn new(inner: TcpStream, mut reach: watch::Receiver<Reachability>, born_at: u64) -> Self {
        let kill_signal = Box::pin(async move {
            // A closed channel means the server is going away: treat it as a kill too.
            let _ = reach.wait_for(|r| r.kills != born_at).await;
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
    io::Error::new(io::ErrorKind::ConnectionReset, "simulated WFM outage")
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
        if this.poll_killed(cx) {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}
