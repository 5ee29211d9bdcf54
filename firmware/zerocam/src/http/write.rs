//! Writing whole responses to a non-blocking socket, reporting progress so that a client
//! that stops draining is noticed by its deadline rather than by this task.

use futures_lite::AsyncWriteExt;
use std::io::{self, IoSlice};

/// Writes every byte of `parts` (gathered, one syscall per round), calling `progress` after
/// each write that moved bytes. No allocation.
pub async fn write_all_vectored<W>(
    socket: &mut W,
    parts: &mut [IoSlice<'_>],
    mut progress: impl FnMut(),
) -> io::Result<()>
where
    W: futures_lite::AsyncWrite + Unpin,
{
    let mut parts = parts;
    // Skip empty parts so that a finished write is an empty slice.
    IoSlice::advance_slices(&mut parts, 0);
    while !parts.is_empty() {
        let written = socket.write_vectored(parts).await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        IoSlice::advance_slices(&mut parts, written);
        progress();
    }
    Ok(())
}
