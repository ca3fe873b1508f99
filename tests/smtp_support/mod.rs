//! A real SMTP server for the e-mail tests, on a loopback port: the SMTP dialogue is the `mailin` crate's state
//! machine (EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA with dot-unstuffing); this file only moves its lines
//! over a socket, TLS by rustls (ring) with fogd's dev server certificate. It can refuse the first N messages with
//! a temporary error (451) to show retries.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How clients reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain connection, STARTTLS offered (AUTH only after it).
    StartTls,
    /// TLS from the first byte.
    ImplicitTls,
}

/// A message the server accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
    pub user: Option<String>,
    pub tls: bool,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

struct Shared {
    received: Mutex<Vec<Received>>,
    refuse_first: AtomicUsize,
    refused: AtomicUsize,
    credentials: (String, String),
}

/// A running server (its threads end with the test process).
pub struct SmtpServer {
    pub port: u16,
    shared: Arc<Shared>,
}

impl SmtpServer {
    /// Starts a server in `mode` that wants `user`/`password` and refuses the first `refuse_first` messages.
    pub fn start(
        mode: Mode,
        cert_pem: &[u8],
        key_pem: &[u8],
        user: &str,
        password: &str,
        refuse_first: usize,
    ) -> SmtpServer {
        use rustls_pki_types::pem::PemObject;
        let certs: Vec<_> = rustls_pki_types::CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<_, _>>()
            .unwrap();
        let key = rustls_pki_types::PrivateKeyDer::from_pem_slice(key_pem).unwrap();
        let tls = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
        );
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            received: Mutex::new(Vec::new()),
            refuse_first: AtomicUsize::new(refuse_first),
            refused: AtomicUsize::new(0),
            credentials: (user.to_string(), password.to_string()),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, tls) = (s.clone(), tls.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, mode, tls, s);
                });
            }
        });
        SmtpServer { port, shared }
    }

    /// The messages accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// How many messages were refused with 451.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    /// Waits (at most `limit`) until `n` messages arrived; returns them.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<Received> {
        let t0 = Instant::now();
        loop {
            let r = self.received();
            if r.len() >= n || t0.elapsed() > limit {
                return r;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

struct H {
    shared: Arc<Shared>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
    user: Option<String>,
    tls: bool,
}

impl Handler for H {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_string();
        self.to = to.to_vec();
        self.data.clear();
        mailin::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> Response {
        let left = self.shared.refuse_first.load(Ordering::SeqCst);
        if left > 0 {
            self.shared.refuse_first.store(left - 1, Ordering::SeqCst);
            self.shared.refused.fetch_add(1, Ordering::SeqCst);
            return mailin::response::INTERNAL_ERROR;
        }
        self.shared.received.lock().unwrap().push(Received {
            from: self.from.clone(),
            to: self.to.clone(),
            data: std::mem::take(&mut self.data),
            user: self.user.clone(),
            tls: self.tls,
        });
        mailin::response::OK
    }
    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        self.check(user, password)
    }
    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.check(user, password)
    }
}

impl H {
    fn check(&mut self, user: &str, password: &str) -> Response {
        let (u, p) = &self.shared.credentials;
        if user == u && password == p {
            self.user = Some(user.to_string());
            mailin::response::AUTH_OK
        } else {
            mailin::response::INVALID_CREDENTIALS
        }
    }
}

/// A connection, plain or TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

fn upgrade(stream: TcpStream, tls: &Arc<rustls::ServerConfig>) -> std::io::Result<Conn> {
    let conn = rustls::ServerConnection::new(tls.clone()).map_err(std::io::Error::other)?;
    Ok(Conn::Tls(Box::new(rustls::StreamOwned::new(conn, stream))))
}

fn serve(
    stream: TcpStream,
    mode: Mode,
    tls: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let ip: IpAddr = stream.peer_addr()?.ip();
    let mut builder = SessionBuilder::new("smtp.test");
    builder
        .enable_auth(AuthMechanism::Plain)
        .enable_auth(AuthMechanism::Login);
    if mode == Mode::StartTls {
        builder.enable_start_tls();
    }
    let handler = H {
        shared,
        from: String::new(),
        to: Vec::new(),
        data: Vec::new(),
        user: None,
        tls: mode == Mode::ImplicitTls,
    };
    let mut session = builder.build(ip, handler);
    let conn = match mode {
        Mode::ImplicitTls => {
            session.tls_active();
            upgrade(stream, &tls)?
        }
        Mode::StartTls => Conn::Plain(stream),
    };
    let mut reader = BufReader::new(conn);
    session.greeting().write_to(reader.get_mut())?;
    reader.get_mut().flush()?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let response = session.process(&line);
        match response.action {
            Action::Reply => {
                response.write_to(reader.get_mut())?;
                reader.get_mut().flush()?;
            }
            Action::Close => {
                response.write_to(reader.get_mut())?;
                reader.get_mut().flush()?;
                return Ok(());
            }
            Action::NoReply => {}
            Action::UpgradeTls => {
                response.write_to(reader.get_mut())?;
                reader.get_mut().flush()?;
                let Conn::Plain(plain) = reader.into_inner() else {
                    return Ok(());
                };
                reader = BufReader::new(upgrade(plain, &tls)?);
                session.tls_active();
            }
        }
    }
}
