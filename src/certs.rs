//! Development certificates (rcgen) and certificate loading helpers.
//!
//! `fogd dev-certs DIR` and [`ensure_dev_certs`] make a test CA, a server certificate for the simulator (SAN
//! `localhost`, `127.0.0.1`, `::1`) and a client certificate whose subject carries the ingivare's organisation
//! number as `serialNumber` (OID 2.5.4.5, the attribute SHS nodes read the sender from; shs.md §8). Private keys are
//! written with mode 0600. Validity is rcgen's default (1975–4096), so dev certificates never expire in a test.

use crate::config::Config;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why certificates could not be made or loaded.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// Certificate generation failed.
    #[error("cannot generate certificates: {0}")]
    Generate(String),
    /// A file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file holds no usable PEM item of the wanted kind.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A private key file that group or others may read.
    #[error("{path} has mode {mode:o}: the private key is readable by group or others; run `chmod 600 {path}`")]
    KeyMode {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Some but not all of the configured certificate files exist, so dev certificates are not generated.
    #[error("certificate files incomplete: {missing} missing while {present} exist; fix [tls] or remove them all to get dev certificates")]
    Partial {
        /// Missing paths.
        missing: String,
        /// Existing paths.
        present: String,
    },
}

/// File names written by [`write_dev_certs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCertPaths {
    /// The test CA certificate.
    pub ca: PathBuf,
    /// The CA key (kept so that more certificates can be issued; mode 0600).
    pub ca_key: PathBuf,
    /// The simulator's server certificate.
    pub server_cert: PathBuf,
    /// Its key.
    pub server_key: PathBuf,
    /// The client certificate.
    pub client_cert: PathBuf,
    /// Its key.
    pub client_key: PathBuf,
    /// Client certificate + key in one PEM (as reqwest wants).
    pub client_identity: PathBuf,
}

impl DevCertPaths {
    /// The standard names inside `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            ca: dir.join("ca.pem"),
            ca_key: dir.join("ca-key.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server-key.pem"),
            client_cert: dir.join("client.pem"),
            client_key: dir.join("client-key.pem"),
            client_identity: dir.join("client-identity.pem"),
        }
    }
}

/// The PEM texts of a dev certificate set.
#[derive(Debug, Clone)]
pub struct DevCerts {
    /// CA certificate.
    pub ca: String,
    pub ca_key: String,
    /// Server certificate.
    pub server_cert: String,
    pub server_key: String,
    /// Client certificate.
    pub client_cert: String,
    pub client_key: String,
}

impl DevCerts {
    /// Client certificate followed by its key.
    pub fn client_identity(&self) -> String {
        format!("{}{}", self.client_cert, self.client_key)
    }
}

fn gen_err(e: impl std::fmt::Display) -> CertError {
    CertError::Generate(e.to_string())
}

/// Generates a CA, a server certificate and a client certificate for `org_number` / `org_name`.
pub fn generate_dev_certs(org_number: &str, org_name: &str) -> Result<DevCerts, CertError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa,
        KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().map_err(gen_err)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fogd development CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "fogd");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).map_err(gen_err)?;

    let server_key = KeyPair::generate().map_err(gen_err)?;
    let mut sp = CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])
    .map_err(gen_err)?;
    sp.distinguished_name
        .push(DnType::CommonName, "fogd sim (Kronofogden test node)");
    sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    sp.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let server = sp.signed_by(&server_key, &ca, &ca_key).map_err(gen_err)?;

    let client_key = KeyPair::generate().map_err(gen_err)?;
    let mut cp = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
    cp.distinguished_name.push(DnType::CommonName, org_name);
    cp.distinguished_name
        .push(DnType::OrganizationName, org_name);
    let serial = DnValue::PrintableString(org_number.try_into().map_err(gen_err)?);
    cp.distinguished_name
        .push(DnType::CustomDnType(vec![2, 5, 4, 5]), serial);
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    cp.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let client = cp.signed_by(&client_key, &ca, &ca_key).map_err(gen_err)?;

    Ok(DevCerts {
        ca: ca.pem(),
        ca_key: ca_key.serialize_pem(),
        server_cert: server.pem(),
        server_key: server_key.serialize_pem(),
        client_cert: client.pem(),
        client_key: client_key.serialize_pem(),
    })
}

/// A client certificate and key (one PEM, as `[tls] identity` wants) issued by the CA of `ca_cert_pem` /
/// `ca_key_pem` (`fogd dev-certs` writes both): for a second test organisation (`org_number`), or — with `None` —
/// a certificate without a subject `serialNumber`. Tests and shared test environments use it.
pub fn issue_client_identity(
    ca_cert_pem: &str,
    ca_key_pem: &str,
    org_number: Option<&str>,
    name: &str,
) -> Result<String, CertError> {
    use rcgen::{
        CertificateParams, DnType, DnValue, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::from_pem(ca_key_pem).map_err(gen_err)?;
    let ca = CertificateParams::from_ca_cert_pem(ca_cert_pem)
        .map_err(gen_err)?
        .self_signed(&ca_key)
        .map_err(gen_err)?;
    let key = KeyPair::generate().map_err(gen_err)?;
    let mut cp = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
    cp.distinguished_name.push(DnType::CommonName, name);
    cp.distinguished_name.push(DnType::OrganizationName, name);
    if let Some(org) = org_number {
        let serial = DnValue::PrintableString(org.try_into().map_err(gen_err)?);
        cp.distinguished_name
            .push(DnType::CustomDnType(vec![2, 5, 4, 5]), serial);
    }
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    cp.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let cert = cp.signed_by(&key, &ca, &ca_key).map_err(gen_err)?;
    Ok(format!("{}{}", cert.pem(), key.serialize_pem()))
}

fn write_file(path: &Path, text: &str, secret: bool) -> Result<(), CertError> {
    let io = |source| CertError::Io {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::fsperm::create_private_dir_all(parent).map_err(io)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if secret { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts.open(path).map_err(io)?;
    f.write_all(text.as_bytes()).map_err(io)?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    }
    Ok(())
}

/// Writes a fresh dev certificate set into `dir` (created if needed): `ca.pem`, `ca-key.pem`, `server.pem`,
/// `server-key.pem`, `client.pem`, `client-key.pem`, `client-identity.pem`. Keys get mode 0600.
pub fn write_dev_certs(
    dir: &Path,
    org_number: &str,
    org_name: &str,
) -> Result<DevCertPaths, CertError> {
    let p = DevCertPaths::in_dir(dir);
    write_dev_set(&p, org_number, org_name)?;
    Ok(p)
}

/// Writes a fresh dev certificate set at `p`: the one code path of `fogd dev-certs` and of the certificates made on
/// first use ([`ensure_dev_certs`]).
pub fn write_dev_set(p: &DevCertPaths, org_number: &str, org_name: &str) -> Result<(), CertError> {
    let c = generate_dev_certs(org_number, org_name)?;
    write_file(&p.ca, &c.ca, false)?;
    write_file(&p.ca_key, &c.ca_key, true)?;
    write_file(&p.server_cert, &c.server_cert, false)?;
    write_file(&p.server_key, &c.server_key, true)?;
    write_file(&p.client_cert, &c.client_cert, false)?;
    write_file(&p.client_key, &c.client_key, true)?;
    write_file(&p.client_identity, &c.client_identity(), true)?;
    Ok(())
}

/// The dev certificate set for `[tls]`: its four configured paths, and the files only `fogd dev-certs` used to
/// write (`ca-key.pem`, `client.pem`, `client-key.pem`) beside the client identity, under the names `dev-certs`
/// gives them. With the default `[tls]` this is exactly `DevCertPaths::in_dir("fogd-data/certs")`.
pub fn dev_paths_for(config: &Config) -> DevCertPaths {
    let t = &config.tls;
    let dir = t
        .identity
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let std = DevCertPaths::in_dir(&dir);
    DevCertPaths {
        ca: t.ca.clone(),
        server_cert: t.server_cert.clone(),
        server_key: t.server_key.clone(),
        client_identity: t.identity.clone(),
        ..std
    }
}

/// Creates dev certificates at the paths of `[tls]` when **all** of them (`ca`, `identity`, `server_cert`,
/// `server_key`) are missing; returns whether it did. When only some are missing that is an error, because mixing
/// a new CA with old certificates cannot work. A PKCS#12 identity path is never generated. The set written is the
/// one `fogd dev-certs` writes ([`dev_paths_for`], [`write_dev_set`]).
pub fn ensure_dev_certs(config: &Config) -> Result<bool, CertError> {
    let t = &config.tls;
    let paths = [&t.ca, &t.identity, &t.server_cert, &t.server_key];
    let (present, missing): (Vec<&PathBuf>, Vec<&PathBuf>) = paths.iter().partition(|p| p.exists());
    if missing.is_empty() {
        return Ok(false);
    }
    if !present.is_empty() {
        let join = |v: &[&PathBuf]| {
            v.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(CertError::Partial {
            missing: join(&missing),
            present: join(&present),
        });
    }
    write_dev_set(
        &dev_paths_for(config),
        &config.ingivare.org_number,
        &config.ingivare.name,
    )?;
    tracing::info!(ca = %t.ca.display(), "created development certificates");
    Ok(true)
}

/// Refuses a private key file that group or others may read (any of the mode bits 0o077), as `ssh` does: the
/// commands that use a key (`sim`, `send`, `poll`, `serve`) call this before they load it. A missing file is left
/// to the loader's own error. Not on Unix: no check.
pub fn check_key_private(path: &Path) -> Result<(), CertError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return Ok(());
        };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(CertError::KeyMode {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>, CertError> {
    std::fs::read(path).map_err(|source| CertError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Loads every certificate of a PEM file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, CertError> {
    let bytes = read(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<_, _>>()
        .map_err(|e| CertError::Pem {
            path: path.to_path_buf(),
            message: format!("bad PEM: {e}"),
        })?;
    if certs.is_empty() {
        return Err(CertError::Pem {
            path: path.to_path_buf(),
            message: "no CERTIFICATE in the file".into(),
        });
    }
    Ok(certs)
}

/// Loads the first private key (PKCS#8, SEC1 or PKCS#1) of a PEM file.
pub fn load_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, CertError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| CertError::Pem {
        path: path.to_path_buf(),
        message: format!("no usable private key: {e}"),
    })
}

/// The subject `serialNumber` (OID 2.5.4.5) of a DER certificate, if any: the organisation number SHS reads.
pub fn subject_serial_number(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let oid = x509_parser::oid_registry::OID_X509_SERIALNUMBER;
    let found = cert
        .subject()
        .iter_attributes()
        .find(|a| *a.attr_type() == oid)
        .and_then(|a| a.as_str().ok().map(str::to_string));
    found
}

/// The X.509 serial number of a DER certificate as [`normalize_serial`] writes it (how `[sim]
/// admin_cert_serials` names a certificate).
pub fn cert_serial_hex(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(normalize_serial(&hex::encode(cert.raw_serial())))
}

/// A certificate serial number written for comparison: hex digits in lower case, without `:` separators or
/// leading zeros, so that `openssl x509 -serial` output (`serial=0A1B…`) and `0a:1b:…` compare equal.
pub fn normalize_serial(text: &str) -> String {
    let t = text.trim();
    let t = t.strip_prefix("serial=").unwrap_or(t);
    let digits: String = t
        .chars()
        .filter(|c| *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let trimmed = digits.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.to_string()
    }
}

/// The end of validity of the first certificate in a PEM file (for `fogd doctor`), as Unix seconds.
pub fn not_after_unix(path: &Path) -> Result<i64, CertError> {
    let certs = load_certs(path)?;
    let first = certs.first().ok_or_else(|| CertError::Pem {
        path: path.to_path_buf(),
        message: "no certificate".into(),
    })?;
    let (_, cert) =
        x509_parser::parse_x509_certificate(first.as_ref()).map_err(|e| CertError::Pem {
            path: path.to_path_buf(),
            message: format!("bad certificate: {e}"),
        })?;
    Ok(cert.validity().not_after.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_all_files_with_private_keys_0600() {
        let dir = tempfile::tempdir().unwrap();
        let p = write_dev_certs(dir.path(), "5599999991", "Utvecklings Inkasso AB").unwrap();
        for f in [
            &p.ca,
            &p.server_cert,
            &p.server_key,
            &p.client_cert,
            &p.client_key,
            &p.client_identity,
        ] {
            assert!(f.exists(), "{}", f.display());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for f in [&p.server_key, &p.client_key, &p.client_identity, &p.ca_key] {
                let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", f.display());
            }
        }
        let client = load_certs(&p.client_cert).unwrap();
        assert_eq!(
            subject_serial_number(client[0].as_ref()).as_deref(),
            Some("5599999991")
        );
        let ident = std::fs::read_to_string(&p.client_identity).unwrap();
        assert!(ident.contains("BEGIN CERTIFICATE") && ident.contains("PRIVATE KEY"));
        load_private_key(&p.server_key).unwrap();
        assert!(not_after_unix(&p.ca).unwrap() > 4_000_000_000);
    }

    #[test]
    fn ensure_creates_only_when_all_missing() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::default();
        cfg.tls.ca = dir.path().join("c/ca.pem");
        cfg.tls.identity = dir.path().join("c/id.pem");
        cfg.tls.server_cert = dir.path().join("c/s.pem");
        cfg.tls.server_key = dir.path().join("c/sk.pem");
        assert!(ensure_dev_certs(&cfg).unwrap());
        assert!(!ensure_dev_certs(&cfg).unwrap());
        std::fs::remove_file(&cfg.tls.ca).unwrap();
        let e = ensure_dev_certs(&cfg).unwrap_err();
        assert!(e.to_string().contains("ca.pem"), "{e}");
    }
}
