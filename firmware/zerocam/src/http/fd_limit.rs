//! The client table must fit the process's open-file limit: every client is a descriptor,
//! and a table larger than the limit lets accept(2) fail with EMFILE while the table still
//! has places, so newcomers sit unanswered in the listen backlog instead of getting a 503.

use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Descriptors kept for zerocam itself: the listener, the reactor's epoll and pipes, camera
/// and encoder devices, the log, config and data files, helper processes' pipes.
pub const RESERVED: u64 = 48;

/// Raises the soft open-file limit to the hard one, then returns how many clients fit
/// under it: `wanted`, or fewer with a warning that says what to change.
pub fn clients_within_limit(wanted: usize) -> usize {
    let limit = raise_soft_limit();
    let fit = fit_clients(wanted, limit);
    if fit < wanted {
        log::warn!(
            "[http] max_clients = {wanted} does not fit the open-file limit of {} descriptors \
             ({RESERVED} kept for zerocam itself): serving at most {fit} clients at once; \
             raise the limit (ulimit -n) or lower max_clients",
            limit.unwrap_or(0)
        );
    }
    fit
}

/// The soft limit after raising it as far as the hard limit allows (None: unlimited).
fn raise_soft_limit() -> Option<u64> {
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    if current < maximum || (current.is_some() && maximum.is_none()) {
        let raised = Rlimit { current: maximum, maximum };
        if setrlimit(Resource::Nofile, raised).is_ok() {
            return maximum;
        }
    }
    current
}

/// Clients that fit `limit` descriptors, at least one.
pub fn fit_clients(wanted: usize, limit: Option<u64>) -> usize {
    match limit {
        None => wanted,
        Some(limit) => {
            let room = usize::try_from(limit.saturating_sub(RESERVED)).unwrap_or(usize::MAX);
            wanted.min(room).max(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_capped_by_the_limit() {
        assert_eq!(fit_clients(600, None), 600);
        assert_eq!(fit_clients(600, Some(1_048_576)), 600);
        assert_eq!(fit_clients(2000, Some(1024)), 1024 - RESERVED as usize);
        assert_eq!(fit_clients(600, Some(10)), 1);
    }

    #[test]
    fn the_soft_limit_is_raised_to_the_hard_one() {
        let after = raise_soft_limit();
        assert_eq!(after, getrlimit(Resource::Nofile).maximum);
    }
}
