//! File-descriptor limit: 500 clients need 500 sockets here and 500 in the server, which
//! inherits our limit when we spawn it.

use crate::error::{Error, Result};
use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};

/// Raises RLIMIT_NOFILE so that at least `needed` descriptors can be open; returns the new
/// soft limit. The hard limit is raised too when we may (root), otherwise it caps us.
pub fn raise_nofile(needed: u64) -> Result<u64> {
    let old = getrlimit(Resource::Nofile);
    let soft = old.current.unwrap_or(u64::MAX);
    if soft >= needed {
        return Ok(soft);
    }
    let hard = old.maximum.unwrap_or(u64::MAX);
    let new = if hard >= needed {
        Rlimit { current: Some(needed), maximum: old.maximum }
    } else {
        Rlimit { current: Some(needed), maximum: Some(needed) }
    };
    setrlimit(Resource::Nofile, new).map_err(|err| {
        Error::Usage(format!(
            "need {needed} open files but RLIMIT_NOFILE is {soft} (hard {hard}) and raising it failed: {err}; \
             use fewer --clients or raise `ulimit -n`"
        ))
    })?;
    Ok(needed)
}
