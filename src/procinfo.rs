//! Process figures from Linux `/proc`, for the bench binaries' reports (peak resident memory). `None` where `/proc`
//! is not there or says nothing.

/// Peak resident set size (`VmHWM`) in KiB of process `pid`, or of this process when `None`.
pub fn peak_rss_kb(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let value = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    value.trim().trim_end_matches("kB").trim().parse().ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(super::peak_rss_kb(None).is_some_and(|kb| kb > 0));
        }
        assert_eq!(super::peak_rss_kb(Some(u32::MAX)), None);
    }
}
