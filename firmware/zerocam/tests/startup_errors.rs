//! Errors found while starting (after the config parsed) name the config file and key, or
//! the flag, as parse errors do: an address already in use, a clip that cannot be opened.
//! Runs the real binary and reads what it prints.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs zerocam with `args`; it must exit with a failure within 20 s. Returns its stderr.
fn failed_start(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zerocam"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zerocam runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("zerocam {args:?} did not stop within 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    assert!(!status.success(), "zerocam {args:?} must fail: {stderr}");
    stderr
}

fn config_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zerocam-startup-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("zerocam.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

#[test]
fn an_address_in_use_names_the_file_and_key_or_the_flag() {
    // Held for the whole test, so the port stays busy.
    let busy = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = busy.local_addr().expect("addr");

    let path = config_file("listen", &format!("[http]\nlisten = \"{addr}\"\n"));
    let from_file = failed_start(&["--config", path.to_str().expect("utf-8")]);
    let expected =
        format!("config {}: [http] listen = {addr}: cannot listen: Address already in use", path.display());
    assert!(from_file.contains(&expected), "expected {expected:?} in:\n{from_file}");

    // The flag wins over the file, and the message says so.
    let from_flag = failed_start(&["--config", path.to_str().expect("utf-8"), "--listen", &addr.to_string()]);
    let expected = format!("--listen {addr}: cannot listen: Address already in use");
    assert!(from_flag.contains(&expected), "expected {expected:?} in:\n{from_flag}");
    std::fs::remove_dir_all(path.parent().expect("dir")).ok();
}

#[test]
fn a_clip_that_cannot_be_opened_names_the_camera_key_path_and_os_error() {
    let missing = "/nonexistent-zerocam/clip.mjpeg";
    let path = config_file(
        "clip",
        &format!("[http]\nlisten = \"127.0.0.1:0\"\n\n[[camera]]\nname = \"front\"\nsource = \"replay:{missing}\"\n"),
    );
    let from_file = failed_start(&["--config", path.to_str().expect("utf-8")]);
    let expected = format!(
        "config {}: [[camera]] name = \"front\": source = \"replay:{missing}\": replay file {missing}: \
         cannot open: No such file or directory (os error 2)",
        path.display()
    );
    assert!(from_file.contains(&expected), "expected {expected:?} in:\n{from_file}");

    let from_flag = failed_start(&["--listen", "127.0.0.1:0", "--source", &format!("replay:{missing}")]);
    let expected =
        format!("camera cam0: --source replay:{missing}: replay file {missing}: cannot open: No such file");
    assert!(from_flag.contains(&expected), "expected {expected:?} in:\n{from_flag}");
    std::fs::remove_dir_all(path.parent().expect("dir")).ok();
}
