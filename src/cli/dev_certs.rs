//! `fogd dev-certs`: test CA, server and client certificates.

use crate::config::Config;
use std::path::PathBuf;

/// Arguments of `fogd dev-certs`.
#[derive(Debug, clap::Args)]
pub struct DevCertsArgs {
    /// Directory to write `ca.pem`, `server.pem`, `server-key.pem`, `client.pem`, `client-key.pem`,
    /// `client-identity.pem` (and `ca-key.pem`) into.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// Runs the command. The client certificate's subject carries `ingivare.org_number` as `serialNumber`.
pub async fn run(config: Config, args: DevCertsArgs) -> anyhow::Result<u8> {
    let p = crate::certs::write_dev_certs(
        &args.dir,
        &config.ingivare.org_number,
        &config.ingivare.name,
    )?;
    println!("wrote development certificates to {}:", args.dir.display());
    for f in [
        &p.ca,
        &p.server_cert,
        &p.server_key,
        &p.client_cert,
        &p.client_key,
        &p.client_identity,
    ] {
        println!("  {}", f.display());
    }
    println!(
        "client subject serialNumber = {}",
        config.ingivare.org_number
    );
    Ok(crate::cli::EXIT_OK)
}
