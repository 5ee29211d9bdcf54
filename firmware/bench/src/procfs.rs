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

/// CPU time of one thread (or of several with the same name), ms.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadCpu {
    pub name: String,
    pub user_ms: f64,
    pub system_ms: f64,
    /// Time on the CPU from the scheduler's clock (/proc/.../schedstat, nanoseconds): exact,
    /// where utime and stime come in 10 ms ticks and their split is sampled at each timer
    /// tick. None where the kernel has no schedstat (CONFIG_SCHED_INFO).
    pub exec_ms: Option<f64>,
}

impl ThreadCpu {
    /// The thread's CPU time: the scheduler's exact figure where there is one.
    pub fn total_ms(&self) -> f64 {
        self.exec_ms.unwrap_or(self.user_ms + self.system_ms)
    }

    /// The part of [`Self::total_ms`] spent in the kernel, by the sampled user/system split.
    pub fn kernel_ms(&self) -> f64 {
        let ticks = self.user_ms + self.system_ms;
        if ticks > 0.0 {
            self.total_ms() * self.system_ms / ticks
        } else {
            0.0
        }
    }
}

/// CPU time of each thread of a process, by thread name (/proc/<pid>/task/*/comm), split
/// into user and kernel time: where a server's time goes, without a profiler (which the
/// emulated board lacks). Threads with the same name are summed.
pub fn thread_cpu_ms(pid: u32) -> io::Result<Vec<ThreadCpu>> {
    let mut threads: Vec<ThreadCpu> = Vec::new();
    let ticks_per_s = rustix::param::clock_ticks_per_second() as f64;
    for entry in fs::read_dir(format!("/proc/{pid}/task"))? {
        let dir = entry?.path();
        // A thread can end between the listing and the reads: skip it.
        let (Ok(stat), Ok(comm)) =
            (fs::read_to_string(dir.join("stat")), fs::read_to_string(dir.join("comm")))
        else {
            continue;
        };
        let Some((user, system)) = parse_user_system_ticks(&stat) else { continue };
        let name = comm.trim().to_owned();
        let (user_ms, system_ms) = (user as f64 * 1000.0 / ticks_per_s, system as f64 * 1000.0 / ticks_per_s);
        let exec_ms =
            fs::read_to_string(dir.join("schedstat")).ok().and_then(|text| parse_schedstat_ms(&text));
        match threads.iter_mut().find(|known| known.name == name) {
            Some(total) => {
                total.user_ms += user_ms;
                total.system_ms += system_ms;
                total.exec_ms = total.exec_ms.zip(exec_ms).map(|(a, b)| a + b);
            }
            None => threads.push(ThreadCpu { name, user_ms, system_ms, exec_ms }),
        }
    }
    Ok(threads)
}

/// The first field of schedstat (ns on the CPU), in ms.
fn parse_schedstat_ms(text: &str) -> Option<f64> {
    let ns: u64 = text.split_ascii_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e6)
}

/// utime + stime (fields 14 and 15) from the text of /proc/<pid>/stat.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    parse_user_system_ticks(stat).map(|(user, system)| user + system)
}

/// (utime, stime) from the text of /proc/<pid>/stat.
fn parse_user_system_ticks(stat: &str) -> Option<(u64, u64)> {
    // The command name (field 2) is in parentheses and may itself contain spaces or ')',
    // so fields are counted from the last ')'. After it, field 3 (state) comes first.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_ascii_whitespace().skip(14 - 3);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime, stime))
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
    fn schedstat_nanoseconds() {
        assert_eq!(parse_schedstat_ms("1500000 20 7\n"), Some(1.5));
        assert_eq!(parse_schedstat_ms(""), None);
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
        assert!(!threads.is_empty() && threads.iter().all(|t| !t.name.is_empty() && t.user_ms >= 0.0));
    }
}
