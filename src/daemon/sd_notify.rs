//! systemd's notify protocol (`Type=notify`): `READY=1`, `WATCHDOG=1`, `STOPPING=1` sent as datagrams to the Unix
//! socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace). Without the variable nothing
//! is sent. No unsafe code, no libsystemd.
//!
//! Hand-written on purpose: the protocol is one datagram per message, and this is ~40 lines of std. The
//! `sd-notify` crate (0.5) does the same send plus fd-store, socket activation and a monotonic-clock reload stamp
//! that need `libc`; fogd uses none of those, so the crate would add a dependency and no behaviour.

use std::time::Duration;

/// Sends `message` (e.g. `READY=1`) to `$NOTIFY_SOCKET`; returns whether there was a socket to send to.
pub fn notify(message: &str) -> std::io::Result<bool> {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(false);
    };
    let sock = std::os::unix::net::UnixDatagram::unbound()?;
    let path = path.to_string_lossy().into_owned();
    if let Some(name) = path.strip_prefix('@') {
        #[cfg(target_os = "linux")]
        {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            sock.send_to_addr(message.as_bytes(), &addr)?;
            return Ok(true);
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = name;
            return Ok(false);
        }
    }
    sock.send_to(message.as_bytes(), &path)?;
    Ok(true)
}

/// The watchdog interval to ping at: half of `$WATCHDOG_USEC`, if set (and meant for this process per
/// `$WATCHDOG_PID`, when given).
pub fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Ok(pid) = std::env::var("WATCHDOG_PID") {
        if pid.parse::<u32>().ok()? != std::process::id() {
            return None;
        }
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}
