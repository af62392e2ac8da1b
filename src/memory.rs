//! The peak memory of this process, as the kernel counts it, for benchmarks (`run
//! --report-memory`): the high-water mark of the resident set, `VmHWM` in `/proc/self/status`.

/// The peak resident set size in kB, or `None` where `/proc` is not available.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    vm_hwm(&status)
}

/// The `VmHWM:` value of a `/proc/<pid>/status` text, in kB.
pub fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
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
        #[cfg(target_os = "linux")]
        assert!(peak_rss_kb().is_some_and(|kb| kb > 0));
    }
}
