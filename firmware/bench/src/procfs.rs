//! What the bench reads about a process from /proc: CPU time and memory.

use std::fs;
use std::io;

/// Total user+system CPU time of a process, in milliseconds.
///
/// /proc/<pid>/stat (unlike /proc/<pid>/task/<tid>/stat) sums all threads of the process,
/// including threads that have already exited, which matters for the seed server: it runs one
/// short-lived thread per client.
pub fn cpu_ms(pid: u32) -> io::Result<f64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let ticks = parse_cpu_ticks(&stat)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unexpected /proc/<pid>/stat format"))?;
    Ok(ticks as f64 * 1000.0 / rustix::param::clock_ticks_per_second() as f64)
}

/// CPU time of each thread of a process, by thread name (/proc/<pid>/task/*/comm), in ms:
/// where a server's time goes, without a profiler. Threads with the same name are summed.
pub fn thread_cpu_ms(pid: u32) -> io::Result<Vec<(String, f64)>> {
    let mut threads: Vec<(String, f64)> = Vec::new();
    let ticks_per_s = rustix::param::clock_ticks_per_second() as f64;
    for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
        let dir = entry?.path();
        // A thread can end between the listing and the reads: skip it.
        let (Ok(stat), Ok(comm)) = (fs::read_to_string(dir.join("stat")), fs::read_to_string(dir.join("comm")))
        else {
            continue;
        };
        let Some(ticks) = parse_cpu_ticks(&stat) else { continue };
        let name = comm.trim().to_owned();
        let ms = ticks as f64 * 1000.0 / ticks_per_s;
        match threads.iter_mut().find(|(known, _)| *known == name) {
            Some((_, total)) => *total += ms,
            None => threads.push((name, ms)),
        }
    }
    Ok(threads)
}

/// utime + stime (fields 14 and 15) from the text of /proc/<pid>/stat.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    // The command name (field 2) is in parentheses and may itself contain spaces or ')',
    // so fields are counted from the last ')'. After it, field 3 (state) comes first.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace().skip(14 - 3);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// VmRSS: resident now.
    pub rss_kib: u64,
    /// VmHWM: the peak of VmRSS over the life of the process.
    pub hwm_kib: u64,
}

pub fn memory(pid: u32) -> io::Result<Memory> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_memory(&status)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmRSS/VmHWM in /proc/<pid>/status"))
}

fn parse_memory(status: &str) -> Option<Memory> {
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix(':')?;
            value.trim().trim_end_matches("kB").trim().parse::<u64>().ok()
        })
    };
    Some(Memory { rss_kib: field("VmRSS")?, hwm_kib: field("VmHWM")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_awkward_command_name() {
        let stat = "4242 (we ird) name)) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 9 0 1 2 3";
        assert_eq!(parse_cpu_ticks(stat), Some(325));
    }

    #[test]
    fn status_memory() {
        let status = "Name:\tpython3\nVmHWM:\t   20480 kB\nVmRSS:\t   18000 kB\nThreads:\t3\n";
        assert_eq!(parse_memory(status), Some(Memory { rss_kib: 18000, hwm_kib: 20480 }));
    }

    #[test]
    fn reads_own_process() {
        let pid = std::process::id();
        assert!(cpu_ms(pid).is_ok());
        assert!(memory(pid).map(|m| m.hwm_kib >= m.rss_kib).unwrap_or(false));
        let threads = thread_cpu_ms(pid).expect("own threads");
        assert!(!threads.is_empty() && threads.iter().all(|(name, ms)| !name.is_empty() && *ms >= 0.0));
    }
}
