//! When the camera stops delivering: while its pause file exists, or after a `pause` order
//! over TCP (for tests that cannot reach the camera's file system), until `resume`. An
//! `unplug` order ends the program, which takes the device off the bus; a supervisor that
//! restarts it plugs it back in.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct Pause {
    file: Option<PathBuf>,
    ordered: Arc<AtomicBool>,
}

impl Pause {
    pub fn new(file: Option<PathBuf>) -> Pause {
        Pause { file, ordered: Arc::new(AtomicBool::new(false)) }
    }

    pub fn now(&self) -> bool {
        self.ordered.load(Ordering::SeqCst) || self.file.as_ref().is_some_and(|path| path.exists())
    }
}

/// Takes orders on `address`, one line per connection, answered "ok" or "unknown".
pub fn listen(address: &str, pause: &Pause) -> std::io::Result<()> {
    let listener = TcpListener::bind(address)
        .map_err(|err| std::io::Error::new(err.kind(), format!("listen on {address}: {err}")))?;
    log::info!("taking orders on {address}");
    let ordered = pause.ordered.clone();
    std::thread::spawn(move || {
        for connection in listener.incoming().flatten() {
            obey(connection, &ordered);
        }
    });
    Ok(())
}

fn obey(mut connection: TcpStream, paused: &AtomicBool) {
    let mut line = String::new();
    let _ = BufReader::new(&connection).read_line(&mut line);
    let order = line.trim();
    let known = match order {
        "pause" => {
            paused.store(true, Ordering::SeqCst);
            true
        }
        "resume" => {
            paused.store(false, Ordering::SeqCst);
            true
        }
        "unplug" => {
            log::info!("order \"unplug\": leaving the bus");
            let _ = connection.write_all(b"ok\n");
            std::process::exit(0);
        }
        _ => false,
    };
    log::info!("order {order:?}{}", if known { "" } else { ": unknown" });
    let _ = connection.write_all(if known { b"ok\n" } else { b"unknown\n" });
}
