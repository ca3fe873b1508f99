//! The set-up checks of `fogd doctor` that catch what a newcomer trips over before the first `fogd send` fails:
//! the org number and intressentkod of `[ingivare]`, the client identity against `[ingivare]` (subject
//! `serialNumber`, key belongs to certificate), and the node's certificate against `[tls] ca` (a real TLS
//! handshake). Each failure says what to do.

use super::{push, Check, Outcome, EXIT_CERTS, EXIT_CONFIG, EXIT_SHS};
use crate::config::Config;
use crate::domain::IdNumber;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::sync::Arc;
use std::time::Duration;

/// The development ingivare's org number (kronofogden.md §2.6): fine with the simulator, never in production.
const DEV_ORG_NUMBER: &str = "5599999991";
/// The development intressentkod.
const DEV_INTRESSENTKOD: &str = "DEV";

/// `[ingivare] org_number` (check digit, organisationsnummer rules) and `intressentkod` (1–3 capital letters or
/// digits, as Kronofogden assigns them; it is part of every file name). The development values are refused when
/// `[shs] status = "production"`.
pub(super) fn check_ingivare(config: &Config, out: &mut Vec<Check>) {
    let ing = &config.ingivare;
    let production = config.shs.status == crate::config::TrafficStatus::Production;
    match IdNumber::parse_org(&ing.org_number) {
        Ok(_) if production && ing.org_number == DEV_ORG_NUMBER => push(
            out,
            EXIT_CONFIG,
            "org number",
            Outcome::Fail,
            format!(
                "{DEV_ORG_NUMBER} is the development ingivare; set [ingivare] org_number to your own organisationsnummer"
            ),
        ),
        Ok(_) => push(
            out,
            EXIT_CONFIG,
            "org number",
            Outcome::Ok,
            format!("{} is a valid organisationsnummer", ing.org_number),
        ),
        Err(e) => push(
            out,
            EXIT_CONFIG,
            "org number",
            Outcome::Fail,
            format!(
                "[ingivare] org_number {:?} is not a valid organisationsnummer ({e}); write your organisation's \
                 number as Bolagsverket registered it, 10 digits without a dash",
                ing.org_number
            ),
        ),
    }
    let intressentkod = &ing.intressentkod;
    let shape_ok = (1..=3).contains(&intressentkod.len())
        && intressentkod
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !shape_ok {
        push(
            out,
            EXIT_CONFIG,
            "intressentkod",
            Outcome::Fail,
            format!(
                "[ingivare] intressentkod {intressentkod:?} must be 1–3 capital letters or digits, exactly as Kronofogden \
                 assigned it (it is part of every file name, e.g. SUPRO.{}.ANSOKAN)",
                intressentkod.to_ascii_uppercase()
            ),
        );
    } else if production && intressentkod == DEV_INTRESSENTKOD {
        push(
            out,
            EXIT_CONFIG,
            "intressentkod",
            Outcome::Fail,
            "DEV is the development intressentkod; set [ingivare] intressentkod to the one Kronofogden assigned you",
        );
    } else {
        push(
            out,
            EXIT_CONFIG,
            "intressentkod",
            Outcome::Ok,
            intressentkod.clone(),
        );
    }
}

/// The client identity as PEM bytes (a PKCS#12 file converted), or why not.
fn identity_pem(config: &Config) -> Result<Vec<u8>, String> {
    let path = &config.tls.identity;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let p12 = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("p12") || e.eq_ignore_ascii_case("pfx"));
    if p12 {
        let password = config.tls.identity_password.as_deref().unwrap_or("");
        crate::shs::client::pkcs12_to_pem(&bytes, password)
            .map_err(|e| format!("{}: {e}", path.display()))
    } else {
        Ok(bytes)
    }
}

/// Certificates and key of the client identity, or why they cannot be read.
fn load_identity(
    config: &Config,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let path = &config.tls.identity;
    let pem = identity_pem(config)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: bad PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!(
            "{} holds no certificate; it must hold the client certificate followed by its private key",
            path.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|e| {
        format!(
            "{} holds no usable private key ({e}); put the certificate's key in the same PEM",
            path.display()
        )
    })?;
    Ok((certs, key))
}

/// The client certificate's subject `serialNumber` is `[ingivare] org_number` (the sender SHS nodes check,
/// shs.md §8), and the identity's private key belongs to its certificate.
pub(super) fn check_identity(config: &Config, out: &mut Vec<Check>) {
    let path = &config.tls.identity;
    if !path.exists() {
        return; // reported by the certificate check
    }
    let (certs, key) = match load_identity(config) {
        Ok(x) => x,
        Err(e) => {
            push(out, EXIT_CERTS, "identity", Outcome::Fail, e);
            return;
        }
    };
    let org = &config.ingivare.org_number;
    let Some(leaf) = certs.first() else {
        return;
    };
    match crate::certs::subject_serial_number(leaf.as_ref()) {
        Some(s) if s == *org => push(
            out,
            EXIT_CERTS,
            "identity sender",
            Outcome::Ok,
            format!("subject serialNumber {s} = [ingivare] org_number"),
        ),
        found => push(
            out,
            EXIT_CERTS,
            "identity sender",
            Outcome::Fail,
            format!(
                "{} has subject serialNumber {} but [ingivare] org_number is {org}: the node refuses every message \
                 (UnknownSender). With the simulator, make a new set (remove the files of [tls] and run any fogd \
                 command, or `fogd dev-certs DIR`); with Kronofogden, use the certificate issued to {org}",
                path.display(),
                found.as_deref().unwrap_or("(none)")
            ),
        ),
    }
    let signing = match rustls::crypto::ring::sign::any_supported_type(&key) {
        Ok(k) => k,
        Err(e) => {
            push(
                out,
                EXIT_CERTS,
                "identity key",
                Outcome::Fail,
                format!("{}: unsupported private key: {e}", path.display()),
            );
            return;
        }
    };
    match rustls::sign::CertifiedKey::new(certs, signing).keys_match() {
        Ok(()) => push(
            out,
            EXIT_CERTS,
            "identity key",
            Outcome::Ok,
            "the private key belongs to the certificate",
        ),
        Err(e) => push(
            out,
            EXIT_CERTS,
            "identity key",
            Outcome::Fail,
            format!(
                "{}: the private key does not belong to the certificate ({e}); put the key the certificate was \
                 issued for after it in the same PEM",
                path.display()
            ),
        ),
    }
}

/// Why a handshake with the node failed.
enum HandshakeError {
    /// The node answered but `[tls] ca` does not verify its certificate (or the name does not match).
    Certificate(String),
    /// No TLS conversation at all (unreachable, refused, timed out, not TLS).
    Unreachable(String),
}

/// A TLS handshake with the node at `url`, trusting only `[tls] ca` and presenting the client identity when it
/// loads (a node that asks for one then sees the real client).
async fn handshake(config: &Config, url: &str) -> Result<(), HandshakeError> {
    let cert_err = HandshakeError::Certificate;
    let parsed = reqwest::Url::parse(url).map_err(|e| cert_err(format!("bad [shs] url: {e}")))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| cert_err("[shs] url has no host".into()))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let mut roots = rustls::RootCertStore::empty();
    let ca = crate::certs::load_certs(&config.tls.ca).map_err(|e| cert_err(e.to_string()))?;
    let (added, _) = roots.add_parsable_certificates(ca);
    if added == 0 {
        return Err(cert_err(format!(
            "{} holds no usable CA certificate",
            config.tls.ca.display()
        )));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| cert_err(e.to_string()))?
        .with_root_certificates(roots);
    let tls = match load_identity(config) {
        Ok((certs, key)) => builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| cert_err(e.to_string()))?,
        Err(_) => builder.with_no_client_auth(),
    };
    let name = ServerName::try_from(host.clone())
        .map_err(|e| cert_err(format!("[shs] url host {host:?}: {e}")))?;
    let timeout = Duration::from_secs(config.shs.connect_timeout_secs.clamp(1, 10));
    let tcp = tokio::time::timeout(
        timeout,
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| HandshakeError::Unreachable(format!("no answer within {} s", timeout.as_secs())))?
    .map_err(|e| HandshakeError::Unreachable(e.to_string()))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(tls));
    match tokio::time::timeout(timeout, connector.connect(name, tcp)).await {
        Err(_) => Err(HandshakeError::Unreachable(format!(
            "no TLS handshake within {} s",
            timeout.as_secs()
        ))),
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => {
            let tls_error = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>());
            match tls_error {
                Some(rustls::Error::InvalidCertificate(c)) => Err(cert_err(format!("{c:?}"))),
                Some(other) => Err(HandshakeError::Unreachable(other.to_string())),
                None => Err(HandshakeError::Unreachable(e.to_string())),
            }
        }
    }
}

/// The node's certificate verifies under `[tls] ca` (a TLS handshake against the send URL).
pub(super) async fn check_node_certificate(config: &Config, out: &mut Vec<Check>) {
    let url = config.shs.rs();
    if url.starts_with("http://") {
        push(
            out,
            EXIT_SHS,
            "node certificate",
            Outcome::Warn,
            format!(
                "{url} is plain HTTP: nothing verifies the node, and no client certificate is sent"
            ),
        );
        return;
    }
    if !config.tls.ca.exists() {
        return; // reported by the certificate check
    }
    match handshake(config, &url).await {
        Ok(()) => push(
            out,
            EXIT_CERTS,
            "node certificate",
            Outcome::Ok,
            format!("the node's certificate verifies under {}", config.tls.ca.display()),
        ),
        Err(HandshakeError::Certificate(why)) => push(
            out,
            EXIT_CERTS,
            "node certificate",
            Outcome::Fail,
            format!(
                "{url}: [tls] ca = {} does not verify the node's certificate ({why}); set [tls] ca to the CA \
                 chain that issued the node's certificate (for `fogd sim`, the ca.pem of the set it was started \
                 with)",
                config.tls.ca.display()
            ),
        ),
        Err(HandshakeError::Unreachable(why)) => push(
            out,
            EXIT_SHS,
            "node certificate",
            Outcome::Fail,
            format!("{url}: no TLS handshake ({why}); is the node running and [shs] url right?"),
        ),
    }
}
