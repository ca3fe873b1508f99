//! The SHS client (reqwest + rustls, mutual TLS): `send` to the receive service, `list` / `fetch` / `ack` on the
//! delivery service (shs.md §4).
//!
//! Errors are a typed enum that says whether a retry can help ([`ShsClientError::is_retryable`]) and whether a send
//! may have reached the node although no answer came ([`ShsClientError::outcome_unknown`]). A retry after a timeout
//! must reuse the same message (same `tx.id`) so the node can flag the duplicate: [`ShsClient::send_with_retry`]
//! does exactly that.

use super::codes::ShsErrorCode;
use super::label::Status;
use super::list::MessageList;
use super::mime::{MimeError, ShsMessage};
use super::{format_time, parse_time, to_urn};
use bytes::Bytes;
use chrono::NaiveDateTime;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the node and who we are.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSettings {
    /// Receive-service URL (`POST` a message).
    pub rs_url: String,
    /// Delivery-service base URL (`{ds}/{outbox}…`).
    pub ds_url: String,
    /// CA certificate(s) (PEM) that signed the node's server certificate; the only trusted roots.
    pub ca: PathBuf,
    /// Client identity: a PEM with certificate and key, or PKCS#12 (`.p12`/`.pfx`).
    pub identity: PathBuf,
    /// PKCS#12 password.
    pub identity_password: Option<String>,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// HTTP `Content-Type` of a send (`message/rfc822` or `multipart/mixed`; nodes ignore it, shs.md §4.1).
    pub send_content_type: String,
}

impl ClientSettings {
    /// Settings from `[shs]` and `[tls]`.
    pub fn from_config(c: &crate::config::Config) -> Self {
        Self {
            rs_url: c.shs.rs(),
            ds_url: c.shs.ds(),
            ca: c.tls.ca.clone(),
            identity: c.tls.identity.clone(),
            identity_password: c.tls.identity_password.clone(),
            connect_timeout: Duration::from_secs(c.shs.connect_timeout_secs),
            request_timeout: Duration::from_secs(c.shs.request_timeout_secs),
            send_content_type: c.shs.send_content_type.clone(),
        }
    }
}

/// What went wrong talking to the node.
#[derive(Debug, thiserror::Error)]
pub enum ShsClientError {
    /// Bad local set-up (identity, CA, URL): fix the configuration.
    #[error("SHS client set-up: {0}")]
    Setup(String),
    /// Could not connect or the TLS handshake failed; nothing reached the node.
    #[error("cannot connect to the SHS node: {0}")]
    Connect(String),
    /// No answer in time. A send may or may not have arrived.
    #[error("SHS request timed out: {0}")]
    Timeout(String),
    /// The connection broke during the exchange. A send may or may not have arrived.
    #[error("SHS connection failed: {0}")]
    Transport(String),
    /// The node refused with an SHS error code (HTTP 400 + `X-shs-errorcode`).
    #[error("SHS node refused: {code} ({info})")]
    Shs {
        /// The code.
        code: ShsErrorCode,
        /// The response body (free text).
        info: String,
    },
    /// The message or entry does not exist (404).
    #[error("not found on the SHS node: {0}")]
    NotFound(String),
    /// Any other HTTP status.
    #[error("SHS node answered HTTP {status}: {body}")]
    Http {
        /// Status code.
        status: u16,
        /// Body text (shortened).
        body: String,
    },
    /// The node's answer could not be read (bad list XML or message MIME).
    #[error("unreadable answer from the SHS node: {0}")]
    Protocol(String),
}

impl ShsClientError {
    /// Whether trying the same request again later can help.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Connect(_) | Self::Timeout(_) | Self::Transport(_) => true,
            Self::Shs { code, .. } => code.is_transient(),
            Self::Http { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            Self::Setup(_) | Self::NotFound(_) | Self::Protocol(_) => false,
        }
    }

    /// Whether a send may have been stored by the node although we got no answer (the file state
    /// `outcome_unknown`): resolve by re-sending the same `tx.id` or by what the node lists, never with new bytes.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Timeout(_) | Self::Transport(_))
            || matches!(self, Self::Http { status, .. } if *status >= 500)
    }

    /// The SHS error code, when the node gave one.
    pub fn shs_code(&self) -> Option<ShsErrorCode> {
        match self {
            Self::Shs { code, .. } => Some(*code),
            _ => None,
        }
    }
}

fn classify(e: reqwest::Error) -> ShsClientError {
    let text = error_chain(&e);
    if e.is_timeout() {
        ShsClientError::Timeout(text)
    } else if e.is_connect() {
        ShsClientError::Connect(text)
    } else if e.is_builder() {
        ShsClientError::Setup(text)
    } else {
        ShsClientError::Transport(text)
    }
}

/// An error with its chain of causes, on one line.
pub fn error_text(e: &dyn std::error::Error) -> String {
    error_chain(e)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}

/// The node's answer to a send (202 and the `X-shs-*` headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendReceipt {
    /// `X-shs-txid` (or the body): the transaction id the support desk asks for.
    pub tx_id: String,
    /// `X-shs-corrid`.
    pub corr_id: Option<String>,
    /// `X-shs-contentid`.
    pub content_id: Option<String>,
    /// `X-shs-nodeid`.
    pub node_id: Option<String>,
    /// `X-shs-localid`.
    pub local_id: Option<String>,
    /// `X-shs-arrivaldate` (the first arrival for a duplicate).
    pub arrival: Option<NaiveDateTime>,
    /// `X-shs-duplicatemsg: yes`: the node already had this `tx.id` and did not store it again.
    pub duplicate: bool,
}

/// Filters of a list call (shs.md §4.2). Empty means "everything for the outbox".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// `producttype`: only these product ids.
    pub product_types: Vec<String>,
    /// `filter=noack`: only messages not yet acknowledged.
    pub noack: bool,
    /// `maxhits`.
    pub maxhits: Option<u32>,
    /// `status`.
    pub status: Option<Status>,
    /// `corrid`.
    pub corr_id: Option<String>,
    /// `contentid`.
    pub content_id: Option<String>,
    /// `originator` (matches originator or from).
    pub originator: Option<String>,
    /// `endrecipient`.
    pub end_recipient: Option<String>,
    /// `since`: state change at or after.
    pub since: Option<NaiveDateTime>,
    /// `sortattribute`.
    pub sort_attribute: Option<String>,
    /// `sortorder` (`asc`/`desc`…).
    pub sort_order: Option<String>,
    /// `arrivalorder` (`ascending`/`descending`).
    pub arrival_order: Option<String>,
}

/// Sort attributes a list accepts (Axel's set, shs.md §4.2).
pub const SORT_ATTRIBUTES: [&str; 9] = [
    "originator",
    "from",
    "endrecipient",
    "producttype",
    "subject",
    "contentid",
    "-corrid",
    "sequencetype",
    "transfertype",
];

impl ListFilter {
    /// The query parameters of this filter.
    pub fn to_query(&self) -> Vec<(&'static str, String)> {
        let mut q = Vec::new();
        if !self.product_types.is_empty() {
            q.push(("producttype", self.product_types.join(",")));
        }
        if self.noack {
            q.push(("filter", "noack".to_string()));
        }
        let mut opt = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                q.push((k, v));
            }
        };
        opt("maxhits", self.maxhits.map(|m| m.to_string()));
        opt("status", self.status.map(|s| s.as_str().to_string()));
        opt("corrid", self.corr_id.clone());
        opt("contentid", self.content_id.clone());
        opt("originator", self.originator.clone());
        opt("endrecipient", self.end_recipient.clone());
        opt("since", self.since.map(format_time));
        opt("sortattribute", self.sort_attribute.clone());
        opt("sortorder", self.sort_order.clone());
        opt("arrivalorder", self.arrival_order.clone());
        q
    }

    /// Parses query parameters (as a node does); unknown parameters are ignored, bad values are an error naming
    /// the parameter (a node answers 400).
    pub fn from_query<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ListFilter, String> {
        let mut f = ListFilter::default();
        for (k, v) in pairs {
            match k {
                "producttype" => f.product_types.extend(
                    v.split(',')
                        .map(|p| super::strip_urn(p).to_string())
                        .filter(|p| !p.is_empty()),
                ),
                "filter" => f.noack = v.eq_ignore_ascii_case("noack"),
                "maxhits" => {
                    f.maxhits = Some(
                        v.parse::<u32>()
                            .ok()
                            .filter(|n| *n > 0)
                            .ok_or_else(|| format!("maxhits {v:?} must be a positive integer"))?,
                    )
                }
                "status" => {
                    f.status = Some(
                        Status::parse(v)
                            .ok_or_else(|| format!("status {v:?} must be test or production"))?,
                    )
                }
                "corrid" => f.corr_id = Some(v.to_string()),
                "contentid" => f.content_id = Some(v.to_string()),
                "originator" => f.originator = Some(super::strip_urn(v).to_string()),
                "endrecipient" => f.end_recipient = Some(v.to_string()),
                "since" => {
                    f.since = Some(
                        chrono::NaiveDateTime::parse_from_str(v, super::TIME_FORMAT)
                            .map_err(|_| format!("since {v:?} must be yyyy-MM-ddTHH:mm:ss"))?,
                    )
                }
                "sortattribute" => {
                    let ok = SORT_ATTRIBUTES.contains(&v) || v.starts_with("meta-");
                    if !ok {
                        return Err(format!(
                            "sortattribute {v:?} is not one of {SORT_ATTRIBUTES:?} or meta-*"
                        ));
                    }
                    f.sort_attribute = Some(v.to_string());
                }
                "sortorder" => {
                    if !matches!(v, "asc" | "ascending" | "desc" | "descending") {
                        return Err(format!(
                            "sortorder {v:?} must be asc, ascending, desc or descending"
                        ));
                    }
                    f.sort_order = Some(v.to_string());
                }
                "arrivalorder" => f.arrival_order = Some(v.to_string()),
                _ => {}
            }
        }
        Ok(f)
    }
}

/// A fetched message: the raw bytes (keep them for audit) and the parsed message.
#[derive(Debug, Clone)]
pub struct FetchedMessage {
    /// The body exactly as received.
    pub raw: Bytes,
    /// Parsed.
    pub message: ShsMessage,
}

/// The SHS client.
#[derive(Debug, Clone)]
pub struct ShsClient {
    http: reqwest::Client,
    settings: ClientSettings,
}

fn load_identity(
    path: &std::path::Path,
    password: Option<&str>,
) -> Result<reqwest::Identity, ShsClientError> {
    let bytes = std::fs::read(path)
        .map_err(|e| ShsClientError::Setup(format!("client identity {}: {e}", path.display())))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let pem = if ext == "p12" || ext == "pfx" {
        pkcs12_to_pem(&bytes, password.unwrap_or("")).map_err(|e| {
            ShsClientError::Setup(format!("client identity {}: {e}", path.display()))
        })?
    } else {
        bytes
    };
    reqwest::Identity::from_pem(&pem).map_err(|e| {
        ShsClientError::Setup(format!(
            "client identity {}: needs a certificate and its private key in PEM: {}",
            path.display(),
            error_chain(&e)
        ))
    })
}

/// Converts a PKCS#12 key store (first private-key entry and its chain) into PEM: certificates, then the key.
pub fn pkcs12_to_pem(bytes: &[u8], password: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let ks = p12_keystore::KeyStore::from_pkcs12(bytes, password)
        .map_err(|e| format!("PKCS#12: {e}"))?;
    let (_, chain) = ks
        .private_key_chain()
        .ok_or_else(|| "PKCS#12 holds no private key entry".to_string())?;
    let wrap = |label: &str, der: &[u8]| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut s = format!("-----BEGIN {label}-----\n");
        for line in b64.as_bytes().chunks(64) {
            s.push_str(&String::from_utf8_lossy(line));
            s.push('\n');
        }
        s.push_str(&format!("-----END {label}-----\n"));
        s
    };
    let mut out = String::new();
    for c in chain.chain() {
        out.push_str(&wrap("CERTIFICATE", c.as_der()));
    }
    out.push_str(&wrap("PRIVATE KEY", chain.key()));
    Ok(out.into_bytes())
}

/// Largest message list read from a node (a list of Axel's 200-entry page is a few hundred KB).
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;
/// Largest fetched message read from a node.
pub const MAX_FETCH_BYTES: usize = 512 * 1024 * 1024;
/// Largest error body read from a node (only the start is kept anyway).
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// Reads a response body of at most `cap` bytes; a longer one is a protocol error, read no further (a node must
/// not be able to make fogd hold an answer of any size).
async fn read_capped(
    mut resp: reqwest::Response,
    cap: usize,
    what: &str,
) -> Result<bytes::Bytes, ShsClientError> {
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(ShsClientError::Protocol(format!(
            "{what}: answer of {} bytes is larger than fogd reads ({cap})",
            resp.content_length().unwrap_or(0)
        )));
    }
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(classify)? {
        if buf.len() + chunk.len() > cap {
            return Err(ShsClientError::Protocol(format!(
                "{what}: answer larger than fogd reads ({cap} bytes)"
            )));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn header(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

async fn error_from(resp: reqwest::Response, what: &str) -> ShsClientError {
    let status = resp.status().as_u16();
    let code = header(&resp, "x-shs-errorcode");
    let body = read_capped(resp, MAX_ERROR_BYTES, what)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let body: String = body.chars().take(2000).collect();
    if let Some(code) = code {
        return ShsClientError::Shs {
            code: ShsErrorCode::parse(&code),
            info: body,
        };
    }
    if status == 404 {
        return ShsClientError::NotFound(format!("{what}: {}", body.trim()));
    }
    ShsClientError::Http { status, body }
}

impl ShsClient {
    /// Builds the client: trusts only the configured CA, presents the configured identity.
    pub fn new(settings: ClientSettings) -> Result<ShsClient, ShsClientError> {
        let ca = std::fs::read(&settings.ca).map_err(|e| {
            ShsClientError::Setup(format!("CA file {}: {e}", settings.ca.display()))
        })?;
        let roots = reqwest::Certificate::from_pem_bundle(&ca).map_err(|e| {
            ShsClientError::Setup(format!("CA file {}: {e}", settings.ca.display()))
        })?;
        if roots.is_empty() {
            return Err(ShsClientError::Setup(format!(
                "CA file {} holds no certificate",
                settings.ca.display()
            )));
        }
        let identity = load_identity(&settings.identity, settings.identity_password.as_deref())?;
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .identity(identity)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .http1_only()
            .pool_idle_timeout(Duration::from_secs(30));
        for r in roots {
            b = b.add_root_certificate(r);
        }
        let http = b
            .build()
            .map_err(|e| ShsClientError::Setup(error_chain(&e)))?;
        Ok(ShsClient { http, settings })
    }

    /// The HTTP client (mutual TLS with the configured identity and CA), for calls beside SHS to the same node
    /// (the simulator's admin API).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The settings in use.
    pub fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    fn ds(&self, segments: &[&str]) -> Result<reqwest::Url, ShsClientError> {
        let mut url = reqwest::Url::parse(&self.settings.ds_url).map_err(|e| {
            ShsClientError::Setup(format!("ds url {:?}: {e}", self.settings.ds_url))
        })?;
        {
            let mut segs = url.path_segments_mut().map_err(|_| {
                ShsClientError::Setup(format!(
                    "ds url {:?} cannot have a path",
                    self.settings.ds_url
                ))
            })?;
            segs.pop_if_empty();
            for s in segments {
                segs.push(s);
            }
        }
        Ok(url)
    }

    /// Sends one asynchronous message (the body streams; file parts are read in chunks). On 202 returns the
    /// receipt; `duplicate` is true when the node already had this `tx.id`.
    pub async fn send(&self, msg: &ShsMessage) -> Result<SendReceipt, ShsClientError> {
        let (len, stream) = msg.into_stream();
        let resp = self
            .http
            .post(&self.settings.rs_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                &self.settings.send_content_type,
            )
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(stream))
            .send()
            .await
            .map_err(classify)?;
        let status = resp.status().as_u16();
        if status != 202 && status != 200 {
            return Err(error_from(resp, "send").await);
        }
        let h = |n: &str| header(&resp, n);
        let (tx_hdr, corr_id, content_id, node_id, local_id, arrival, dup) = (
            h("x-shs-txid"),
            h("x-shs-corrid"),
            h("x-shs-contentid"),
            h("x-shs-nodeid"),
            h("x-shs-localid"),
            h("x-shs-arrivaldate").and_then(|a| parse_time(&a)),
            h("x-shs-duplicatemsg"),
        );
        let body = read_capped(resp, MAX_ERROR_BYTES, "send receipt").await?;
        let body = String::from_utf8_lossy(&body);
        let tx_id = tx_hdr
            .or_else(|| Some(body.trim().to_string()).filter(|b| !b.is_empty()))
            .ok_or_else(|| ShsClientError::Protocol("202 without X-shs-txid or body".into()))?;
        Ok(SendReceipt {
            tx_id,
            corr_id,
            content_id,
            node_id,
            local_id,
            arrival,
            duplicate: dup.is_some_and(|d| d.eq_ignore_ascii_case("yes")),
        })
    }

    /// Sends, retrying up to `attempts` times in all when the error is retryable, waiting `backoff`, then twice
    /// as long, between tries. Every try sends the **same** message (same `tx.id`), so a try that did arrive is
    /// reported back as a duplicate rather than stored twice.
    pub async fn send_with_retry(
        &self,
        msg: &ShsMessage,
        attempts: u32,
        backoff: Duration,
    ) -> Result<SendReceipt, ShsClientError> {
        let mut wait = backoff;
        let mut n = 0;
        loop {
            n += 1;
            match self.send(msg).await {
                Ok(r) => return Ok(r),
                Err(e) if e.is_retryable() && n < attempts.max(1) => {
                    tracing::warn!(tx_id = %msg.label.tx_id, attempt = n, error = %e, "SHS send failed; retrying with the same tx.id");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Lists the outbox (`GET {ds}/urn:X-shs:{outbox}`).
    pub async fn list(
        &self,
        outbox: &str,
        filter: &ListFilter,
    ) -> Result<MessageList, ShsClientError> {
        let url = self.ds(&[&to_urn(outbox)])?;
        let resp = self
            .http
            .get(url)
            .query(&filter.to_query())
            .send()
            .await
            .map_err(classify)?;
        if resp.status().as_u16() != 200 {
            return Err(error_from(resp, "list").await);
        }
        let body = read_capped(resp, MAX_LIST_BYTES, "message list").await?;
        MessageList::parse(&body).map_err(|e| ShsClientError::Protocol(e.to_string()))
    }

    /// Fetches one message (`GET {ds}/urn:X-shs:{outbox}/{tx.id}`). Persist it before acknowledging: a node may
    /// not let it be fetched twice.
    pub async fn fetch(&self, outbox: &str, tx_id: &str) -> Result<FetchedMessage, ShsClientError> {
        let url = self.ds(&[&to_urn(outbox), tx_id])?;
        let resp = self.http.get(url).send().await.map_err(classify)?;
        if resp.status().as_u16() != 200 {
            return Err(error_from(resp, &format!("message {tx_id}")).await);
        }
        let raw = read_capped(resp, MAX_FETCH_BYTES, &format!("message {tx_id}")).await?;
        let message = ShsMessage::parse(raw.clone())
            .map_err(|e: MimeError| ShsClientError::Protocol(e.to_string()))?;
        Ok(FetchedMessage { raw, message })
    }

    /// Acknowledges a fetched message (`POST {ds}/urn:X-shs:{outbox}/{tx.id}?action=ack`).
    pub async fn ack(&self, outbox: &str, tx_id: &str) -> Result<(), ShsClientError> {
        let url = self.ds(&[&to_urn(outbox), tx_id])?;
        let resp = self
            .http
            .post(url)
            .query(&[("action", "ack")])
            .header(reqwest::header::CONTENT_LENGTH, 0)
            .send()
            .await
            .map_err(classify)?;
        if resp.status().as_u16() != 200 {
            return Err(error_from(resp, &format!("message {tx_id}")).await);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_query_round_trip() {
        let f = ListFilter {
            product_types: vec!["a".into(), "b".into()],
            noack: true,
            maxhits: Some(5),
            status: Some(Status::Test),
            corr_id: Some("c".into()),
            content_id: Some("d".into()),
            originator: Some("2021000001".into()),
            end_recipient: Some("e".into()),
            since: parse_time("2024-01-02T03:04:05"),
            sort_attribute: Some("subject".into()),
            sort_order: Some("desc".into()),
            arrival_order: Some("descending".into()),
        };
        let q = f.to_query();
        let back = ListFilter::from_query(q.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(back, f);
        assert!(ListFilter::from_query([("since", "2024-01-02")])
            .unwrap_err()
            .contains("since"));
        assert!(ListFilter::from_query([("sortattribute", "size")]).is_err());
        assert!(ListFilter::from_query([("maxhits", "0")]).is_err());
    }

    #[test]
    fn retry_classes() {
        assert!(ShsClientError::Timeout("x".into()).is_retryable());
        assert!(ShsClientError::Timeout("x".into()).outcome_unknown());
        assert!(!ShsClientError::Connect("x".into()).outcome_unknown());
        assert!(ShsClientError::Http {
            status: 503,
            body: String::new()
        }
        .is_retryable());
        assert!(!ShsClientError::Http {
            status: 413,
            body: String::new()
        }
        .is_retryable());
        assert!(!ShsClientError::Shs {
            code: ShsErrorCode::IllegalSender,
            info: String::new()
        }
        .is_retryable());
        assert!(ShsClientError::Shs {
            code: ShsErrorCode::MissingDeliveryExecution,
            info: String::new()
        }
        .is_retryable());
    }
}
