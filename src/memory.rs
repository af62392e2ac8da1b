//! The memory of this process, as the kernel counts it, for benchmarks (`run --report-memory`)
//! and metrics: the high-water mark of the resident set, `VmHWM` in `/proc/self/status`, and the
//! resident set now, `VmRSS`.

/// The peak resident set size in kB, or `None` where `/proc` is not available.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    vm_hwm(&status)
}

/// The peak and the current resident set sizes in kB (`VmHWM`, `VmRSS`), from one reading.
pub fn peak_and_resident_kb() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some((vm_hwm(&status)?, field_kb(&status, "VmRSS:")?))
}

/// The `VmHWM:` value of a `/proc/<pid>/status` text, in kB.
pub fn vm_hwm(status: &str) -> Option<u64> {
    field_kb(status, "VmHWM:")
}

/// The value of the `field` line of a `/proc/<pid>/status` text, in kB.
fn field_kb(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_status_line() {
        let status = "Name:\tcimflow\nVmPeak:\t  20000 kB\nVmHWM:\t   12345 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(vm_hwm(status), Some(12345));
        assert_eq!(vm_hwm("Name: x\n"), None);
        assert_eq!(field_kb(status, "VmRSS:"), Some(1));
        #[cfg(target_os = "linux")]
        assert!(peak_rss_kb().is_some_and(|kb| kb > 0));
        #[cfg(target_os = "linux")]
        assert!(peak_and_resident_kb().is_some_and(|(peak, now)| now > 0 && peak >= now));
    }
}
