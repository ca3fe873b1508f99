//! The HTTP/1.1 server loop that `fogd serve` and `fogd sim` share: plain TCP or TLS, and the bounds that keep
//! slow or idle clients from taking the server down ([`crate::limits::LimitsConfig`]):
//!
//! - **TLS handshake timeout**: a connection that has not finished its handshake in time is closed.
//! - **header-read timeout**: a connection closes when a request head has been arriving for longer than this: from
//!   the connection's start until its first request, and from the first byte of each later request. (Not hyper's
//!   own header timeout: that one starts as soon as a keep-alive connection waits for its next request, so it
//!   closed idle keep-alive connections after a few seconds, racing clients that reuse them.)
//! - **body timeout**: a request body must arrive whole within its time from the end of the head ([`DeadlineBody`];
//!   tower-http's body timeout restarts at every frame, so a body dripped a byte at a time would never end).
//! - **idle timeout**: a connection with no request in progress and no bytes moving is closed.
//! - **connection cap**: at most `max_connections` (and never more than the file limit allows, less a reserve).
//!   When full, a new connection replaces the one that has waited longest without a request in progress (a
//!   handshake, a head still arriving, or keep-alive idle), so half-open connections cannot lock real clients out;
//!   when every connection has a request in progress, the new one is closed.
//! - **accept errors** (`EMFILE` and the like) back off (10 ms doubling to 1 s) and are logged once per
//!   [`ACCEPT_LOG_INTERVAL`] with a count, never in a tight loop.
//!
//! Each request carries a [`ConnInfo`] extension (peer address, TLS, the client certificate's identity). A
//! response carrying the [`AbortConnection`] extension drops the connection instead of being sent (the
//! simulator's fault injection).

use crate::limits::LimitsConfig;
use axum::Router;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future as _;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

/// How often a failing `accept` is logged (with the number of failures since the last line).
pub const ACCEPT_LOG_INTERVAL: Duration = Duration::from_secs(10);
/// File descriptors kept free for the database, certificates, reports and logs when the connection cap is derived
/// from the file limit.
pub const FD_RESERVE: usize = 64;
/// Longest wait for connections to finish their requests after shutdown began.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The bounds of one server (from `[limits]`).
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// See [`LimitsConfig::header_read_timeout`].
    pub header_read_timeout: Duration,
    /// See [`LimitsConfig::tls_handshake_timeout`].
    pub tls_handshake_timeout: Duration,
    /// See [`LimitsConfig::body_timeout`].
    pub body_timeout: Duration,
    /// See [`LimitsConfig::idle_timeout`].
    pub idle_timeout: Duration,
    /// The connection cap after clamping to the file limit.
    pub max_connections: usize,
}

impl ServerLimits {
    /// The bounds of `[limits]`, the connection cap clamped to the soft file limit less [`FD_RESERVE`].
    pub fn from_config(l: &LimitsConfig) -> ServerLimits {
        let cap = match soft_file_limit() {
            Some(n) => l
                .max_connections
                .min(n.saturating_sub(FD_RESERVE).max(FD_RESERVE / 4)),
            None => l.max_connections,
        };
        ServerLimits {
            header_read_timeout: l.header_read_timeout,
            tls_handshake_timeout: l.tls_handshake_timeout,
            body_timeout: l.body_timeout,
            idle_timeout: l.idle_timeout,
            max_connections: cap.max(1),
        }
    }
}

/// The soft limit on open files of this process (Linux `/proc/self/limits`), if known.
pub fn soft_file_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line
        .trim_start_matches("Max open files")
        .split_whitespace()
        .next()?;
    if soft == "unlimited" {
        return Some(usize::MAX);
    }
    soft.parse().ok()
}

/// What a request knows about its connection.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The peer's address.
    pub peer: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The client certificate's subject `serialNumber` (the organisation number SHS reads), if any.
    pub client_serial_number: Option<String>,
    /// The client certificate's X.509 serial number (lower-case hex, no separators), if any.
    pub client_cert_serial: Option<String>,
}

/// Response marker: drop the connection instead of answering.
#[derive(Debug, Clone, Copy)]
pub struct AbortConnection;

/// Milliseconds since `epoch`.
fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// One live connection, as the cap and the idle check see it.
#[derive(Debug)]
struct Conn {
    /// Requests in progress (a handler running).
    busy: AtomicUsize,
    /// Last time bytes moved, ms since the registry's epoch.
    last_io: AtomicU64,
    /// Since when a request head has been arriving, ms since the registry's epoch plus one (0: none is).
    head_since: AtomicU64,
    /// Told when the connection must go (replaced under the cap).
    kill: Notify,
}

/// The live connections of one server.
#[derive(Debug)]
struct Registry {
    epoch: Instant,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
}

impl Registry {
    fn now(&self) -> u64 {
        millis_since(self.epoch)
    }

    /// Registers a new connection, replacing the longest-waiting idle one when `cap` is reached; `None` when every
    /// connection is busy.
    fn admit(&self, cap: usize) -> Option<(u64, Arc<Conn>)> {
        let mut conns = self.conns.lock().ok()?;
        if conns.len() >= cap {
            let victim = conns
                .iter()
                .filter(|(_, c)| c.busy.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, c)| c.last_io.load(Ordering::Acquire))
                .map(|(id, _)| *id)?;
            if let Some(c) = conns.remove(&victim) {
                c.kill.notify_one();
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            busy: AtomicUsize::new(0),
            last_io: AtomicU64::new(self.now()),
            head_since: AtomicU64::new(self.now() + 1),
            kill: Notify::new(),
        });
        conns.insert(id, conn.clone());
        Some((id, conn))
    }

    fn remove(&self, id: u64) {
        if let Ok(mut c) = self.conns.lock() {
            c.remove(&id);
        }
    }

    fn len(&self) -> usize {
        self.conns.lock().map(|c| c.len()).unwrap_or(0)
    }
}

/// Logs a recurring failure at most once per [`ACCEPT_LOG_INTERVAL`], with the count since the last line.
#[derive(Debug)]
struct Throttled {
    what: &'static str,
    server: &'static str,
    last: Option<Instant>,
    suppressed: u64,
}

impl Throttled {
    fn new(server: &'static str, what: &'static str) -> Throttled {
        Throttled {
            what,
            server,
            last: None,
            suppressed: 0,
        }
    }

    fn hit(&mut self, detail: &dyn std::fmt::Display) {
        match self.last {
            Some(t) if t.elapsed() < ACCEPT_LOG_INTERVAL => self.suppressed += 1,
            _ => {
                tracing::warn!(server = self.server, error = %detail, repeated = self.suppressed, "{}", self.what);
                self.last = Some(Instant::now());
                self.suppressed = 0;
            }
        }
    }
}

/// Serves `app` on `listener` (TLS when `tls` is given) until `stop` turns true, then lets requests in progress
/// finish for at most `grace` (`fogd serve`: [`SHUTDOWN_GRACE`]).
pub async fn serve(
    server: &'static str,
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: ServerLimits,
    app: Router,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let registry = Arc::new(Registry {
        epoch: Instant::now(),
        next_id: AtomicU64::new(0),
        conns: Mutex::new(HashMap::new()),
    });
    let limits = Arc::new(limits);
    let mut accept_errors = Throttled::new(server, "accept failed; backing off");
    let mut refused = Throttled::new(
        server,
        "connection cap reached and every connection busy; closing a new connection",
    );
    let mut backoff = Duration::from_millis(10);
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (tcp, peer) = match accepted {
            Ok(x) => {
                backoff = Duration::from_millis(10);
                x
            }
            Err(e) => {
                accept_errors.hit(&e);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        while tasks.try_join_next().is_some() {}
        let Some((id, conn)) = registry.admit(limits.max_connections) else {
            refused.hit(&format!("{} connections", registry.len()));
            drop(tcp);
            continue;
        };
        let (registry, limits, app, tls, stop) = (
            registry.clone(),
            limits.clone(),
            app.clone(),
            tls.clone(),
            stop.clone(),
        );
        tasks.spawn(async move {
            connection(tcp, peer, tls, &limits, app, &conn, &registry, stop, grace).await;
            registry.remove(id);
        });
    }
    drop(listener);
    if tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} })
        .await
        .is_err()
    {
        tracing::warn!(
            server,
            "connections still open after the shutdown grace; closing them"
        );
        tasks.abort_all();
    }
}

/// A byte stream of either kind.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

#[allow(clippy::too_many_arguments)]
async fn connection(
    tcp: TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: &ServerLimits,
    app: Router,
    conn: &Arc<Conn>,
    registry: &Arc<Registry>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let _ = tcp.set_nodelay(true);
    let (stream, info): (Box<dyn Io>, ConnInfo) = match tls {
        None => (
            Box::new(tcp),
            ConnInfo {
                peer,
                tls: false,
                client_serial_number: None,
                client_cert_serial: None,
            },
        ),
        Some(acceptor) => {
            let handshake =
                tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(tcp));
            let stream = tokio::select! {
                r = handshake => match r {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::info!(%peer, error = %e, "TLS handshake refused");
                        return;
                    }
                    Err(_) => {
                        tracing::info!(%peer, "TLS handshake timed out");
                        return;
                    }
                },
                _ = conn.kill.notified() => return,
                _ = stop.wait_for(|s| *s) => return,
            };
            let cert = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec());
            let info = ConnInfo {
                peer,
                tls: true,
                client_serial_number: cert
                    .as_deref()
                    .and_then(crate::certs::subject_serial_number),
                client_cert_serial: cert.as_deref().and_then(crate::certs::cert_serial_hex),
            };
            (Box::new(stream), info)
        }
    };
    conn.last_io.store(registry.now(), Ordering::Release);
    let tracked = Tracked {
        inner: stream,
        conn: conn.clone(),
        registry: registry.clone(),
    };
    let body_timeout = limits.body_timeout;
    let svc_conn = conn.clone();
    let svc = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let busy = BusyGuard::new(svc_conn.clone());
        let (mut parts, body) = req.into_parts();
        parts.extensions.insert(info.clone());
        let req = hyper::Request::from_parts(
            parts,
            axum::body::Body::new(DeadlineBody::new(body, body_timeout)),
        );
        let app = app.clone();
        async move {
            let resp = match app.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            drop(busy);
            if resp.extensions().get::<AbortConnection>().is_some() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection dropped on purpose",
                ));
            }
            Ok::<_, std::io::Error>(resp)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(None)
        .keep_alive(true);
    let http = builder.serve_connection(TokioIo::new(tracked), svc);
    tokio::pin!(http);
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let (idle_ms, head_ms) = (ms(limits.idle_timeout), ms(limits.header_read_timeout));
    let tick =
        (limits.idle_timeout.min(limits.header_read_timeout) / 4).max(Duration::from_millis(20));
    let mut check = tokio::time::interval(tick);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            r = http.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = conn.kill.notified() => {
                tracing::debug!(%peer, "connection replaced under the connection cap");
                return;
            }
            _ = check.tick() => {
                if conn.busy.load(Ordering::Acquire) > 0 {
                    continue;
                }
                let now = registry.now();
                let head = conn.head_since.load(Ordering::Acquire);
                if head > 0 && now.saturating_sub(head - 1) >= head_ms {
                    tracing::debug!(%peer, "request head not received in time; connection closed");
                    return;
                }
                let quiet = now.saturating_sub(conn.last_io.load(Ordering::Acquire));
                if head == 0 && quiet >= idle_ms {
                    tracing::debug!(%peer, "idle connection closed");
                    return;
                }
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
    // Shutting down: finish the request in progress, accept no more on this connection.
    http.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(grace, http).await;
}

/// Counts a request in progress on its connection for as long as it lives.
struct BusyGuard(Arc<Conn>);

impl BusyGuard {
    fn new(conn: Arc<Conn>) -> BusyGuard {
        conn.busy.fetch_add(1, Ordering::AcqRel);
        conn.head_since.store(0, Ordering::Release);
        BusyGuard(conn)
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A stream that records when bytes last moved (for the idle check and the choice of whom to replace).
struct Tracked {
    inner: Box<dyn Io>,
    conn: Arc<Conn>,
    registry: Arc<Registry>,
}

impl Tracked {
    fn touch(&self) {
        self.conn
            .last_io
            .store(self.registry.now(), Ordering::Release);
    }

    /// Bytes came in: with no request in progress they start a request head (if none is arriving yet).
    fn received(&self) {
        self.touch();
        if self.conn.busy.load(Ordering::Acquire) == 0 {
            let _ = self.conn.head_since.compare_exchange(
                0,
                self.registry.now() + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.received();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Why a request body stopped.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// The body did not arrive whole within `[limits] body_timeout`.
    #[error("request body not received within {0:?} ([limits] body_timeout)")]
    Timeout(Duration),
    /// The connection failed.
    #[error(transparent)]
    Hyper(#[from] hyper::Error),
}

/// A request body that fails once its deadline has passed (a total deadline, unlike tower-http's per-frame one).
pub struct DeadlineBody {
    inner: Incoming,
    limit: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl DeadlineBody {
    /// `inner`, due within `limit` from now.
    pub fn new(inner: Incoming, limit: Duration) -> DeadlineBody {
        DeadlineBody {
            inner,
            limit,
            deadline: Box::pin(tokio::time::sleep(limit)),
        }
    }
}

impl Body for DeadlineBody {
    type Data = bytes::Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(f) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(f.map(|r| r.map_err(BodyError::from)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            let limit = self.limit;
            return Poll::Ready(Some(Err(BodyError::Timeout(limit))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_replaces_the_longest_waiting_idle_connection() {
        let r = Registry {
            epoch: Instant::now(),
            next_id: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
        };
        let (a, ca) = r.admit(2).unwrap();
        let (_b, cb) = r.admit(2).unwrap();
        ca.last_io.store(0, Ordering::Release);
        cb.last_io.store(5, Ordering::Release);
        // Full: the one quiet longest goes.
        let (_c, _) = r.admit(2).unwrap();
        assert_eq!(r.len(), 2);
        assert!(!r.conns.lock().unwrap().contains_key(&a));
        // Every connection busy: the new one is refused.
        for c in r.conns.lock().unwrap().values() {
            c.busy.store(1, Ordering::Release);
        }
        assert!(r.admit(2).is_none());
        let _ = cb;
    }

    #[test]
    fn file_limit_is_read() {
        if std::path::Path::new("/proc/self/limits").exists() {
            assert!(soft_file_limit().is_some_and(|n| n > 0));
        }
        let l = ServerLimits::from_config(&LimitsConfig {
            max_connections: usize::MAX,
            ..LimitsConfig::default()
        });
        assert!(l.max_connections < usize::MAX || soft_file_limit().is_none());
    }
}
