//! zerocam-ota against a real zerocam server on an ephemeral port with file-backed slots:
//! keygen -> bundle -> verify -> push (which waits for the "reboot") -> status. The test
//! plays the board's part of a reboot: it stops the server, boots the armed slot in the
//! file target, and starts a new server on the same port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zerocam::app::{self, Running};
use zerocam::camera::Camera;
use zerocam::config::{CameraConfig, HttpConfig};
use zerocam::ota::{FileTarget, SlotName, Updater};
use zerocam::system::{PowerAction, RunMode, SystemControl};
use zerocam_bundle::Keyring;

const TOKEN: &str = "cli-token";

fn cli() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zerocam-ota"));
    command.env_remove("ZEROCAM_TOKEN").env_remove("ZEROCAM_KEY_PASSWORD");
    command
}

fn run(args: &[&str]) -> Output {
    cli().args(args).output().expect("zerocam-ota runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Reboot requests go to the test, which plays the board.
struct RebootToTest(Mutex<Sender<()>>);

impl SystemControl for RebootToTest {
    fn request(&self, action: PowerAction) -> Result<(), String> {
        if action == PowerAction::Reboot {
            let _ = self.0.lock().map_err(|_| "poisoned")?.send(());
        }
        Ok(())
    }
}

struct Board {
    target: Arc<FileTarget>,
    keyring: Keyring,
    server: Option<Running>,
    addr: SocketAddr,
    reboots: Receiver<()>,
    reboot_tx: Sender<()>,
}

impl Board {
    fn new(dir: &Path, public_key: &Path) -> Board {
        let (slot_a, slot_b) = (dir.join("slot-a.img"), dir.join("slot-b.img"));
        for slot in [&slot_a, &slot_b] {
            std::fs::write(slot, vec![0x11u8; 2 * 1024 * 1024]).expect("slot");
        }
        let keyring = Keyring::parse(&std::fs::read_to_string(public_key).expect("pub")).expect("keyring");
        let target = Arc::new(FileTarget::new("pizero", slot_a, slot_b, SlotName::A, "0.2.0"));
        let (reboot_tx, reboots) = channel();
        let mut board = Board {
            target,
            keyring,
            server: None,
            addr: "127.0.0.1:0".parse().expect("addr"),
            reboots,
            reboot_tx,
        };
        board.power_on();
        board
    }

    /// Starts zerocam (on the port it had before, if any).
    fn power_on(&mut self) {
        let http =
            HttpConfig { listen: Some(self.addr), admin_token: Some(TOKEN.into()), ..HttpConfig::default() };
        let deadline = Instant::now() + Duration::from_secs(10);
        let server = loop {
            let (camera, _output) =
                Camera::new(CameraConfig { name: "cam0".into(), ..CameraConfig::default() }, 16 * 1024, 8);
            let updater = Updater::new(self.target.clone(), self.keyring.clone());
            let control = Arc::new(RebootToTest(Mutex::new(self.reboot_tx.clone())));
            match app::serve_cameras_with_updates(
                vec![camera],
                &http,
                RunMode::Process,
                control,
                Some(Arc::new(updater)),
            ) {
                Ok(server) => break server,
                Err(err) if Instant::now() < deadline => {
                    eprintln!("restart: {err}; retrying");
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(err) => panic!("server restarts: {err}"),
            }
        };
        self.addr = server.local_addr();
        self.server = Some(server);
    }

    /// Waits for the update's reboot request, then "reboots" into the armed slot.
    fn reboot_when_asked(&mut self) {
        self.reboots.recv_timeout(Duration::from_secs(60)).expect("the camera asks for a reboot");
        self.server = None;
        self.target.boot();
        self.power_on();
    }

    fn camera(&self) -> String {
        self.addr.to_string()
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zerocam-ota-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

/// keygen and a signed bundle of `version` in `dir`; returns the bundle's path.
fn keys_and_bundle(dir: &Path, version: &str) -> PathBuf {
    let prefix = dir.join("key");
    if !prefix.with_extension("key").exists() {
        let keygen = run(&["keygen", "--out", prefix.to_str().expect("utf-8")]);
        assert!(keygen.status.success(), "{}", text(&keygen));
        let secret = std::fs::read_to_string(prefix.with_extension("key")).expect("secret");
        let secret_line = secret.lines().nth(1).expect("key line");
        assert!(!text(&keygen).contains(secret_line), "keygen must never print the secret key");
    }
    let image = dir.join(format!("slot-{version}.img"));
    std::fs::write(&image, (0..600_000u32).map(|i| (i % 253) as u8).collect::<Vec<_>>()).expect("image");
    let bundle = dir.join(format!("{version}.bundle"));
    let made = run(&[
        "bundle",
        "--image",
        image.to_str().expect("utf-8"),
        "--version",
        version,
        "--build-id",
        "cli-test",
        "--key",
        prefix.with_extension("key").to_str().expect("utf-8"),
        "--out",
        bundle.to_str().expect("utf-8"),
    ]);
    assert!(made.status.success(), "{}", text(&made));
    bundle
}

fn push(board: &Board, bundle: &Path, extra: &[&str]) -> Child {
    cli()
        .args(["push", &board.camera(), bundle.to_str().expect("utf-8"), "--wait-secs", "30"])
        .args(extra)
        .env("ZEROCAM_TOKEN", TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("push starts")
}

#[test]
fn keygen_bundle_verify_push_status() {
    let dir = scratch("good");
    let bundle = keys_and_bundle(&dir, "0.3.0");
    let verified = run(&[
        "verify",
        bundle.to_str().expect("utf-8"),
        "--key",
        dir.join("key.pub").to_str().expect("utf-8"),
    ]);
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(text(&verified).contains("good signature; board pizero, version 0.3.0"), "{}", text(&verified));

    let mut board = Board::new(&dir, &dir.join("key.pub"));
    let child = push(&board, &bundle, &[]);
    board.reboot_when_asked();
    std::thread::sleep(Duration::from_millis(1200));
    board.target.commit();
    let pushed = child.wait_with_output().expect("push ends");
    assert!(pushed.status.success(), "{}", text(&pushed));
    assert!(text(&pushed).contains("now runs version 0.3.0 from slot b (committed)"), "{}", text(&pushed));
    let image = std::fs::read(dir.join("slot-0.3.0.img")).expect("image");
    assert_eq!(&std::fs::read(dir.join("slot-b.img")).expect("slot b")[..image.len()], &image[..]);

    let status = run(&["status", &board.camera()]);
    assert!(status.status.success(), "{}", text(&status));
    assert!(text(&status).contains("version 0.3.0 from slot b (committed)"), "{}", text(&status));
    assert!(text(&status).contains("other slot   a: 0.2.0"), "{}", text(&status));
}

#[test]
fn push_reports_a_rollback_and_its_reason() {
    let dir = scratch("rollback");
    let bundle = keys_and_bundle(&dir, "0.3.0");
    let mut board = Board::new(&dir, &dir.join("key.pub"));
    let child = push(&board, &bundle, &[]);
    board.reboot_when_asked();
    // The trial never gets healthy: the board goes back by itself.
    std::thread::sleep(Duration::from_millis(1200));
    board.server = None;
    board.target.roll_back("the trial boot never became healthy");
    board.power_on();
    let pushed = child.wait_with_output().expect("push ends");
    assert!(!pushed.status.success(), "{}", text(&pushed));
    let said = text(&pushed);
    assert!(said.contains("rolled back") && said.contains("version 0.2.0 from slot a"), "{said}");
    assert!(said.contains("the trial boot never became healthy"), "{said}");
}

#[test]
fn push_explains_refusals() {
    let dir = scratch("refusals");
    let bundle = keys_and_bundle(&dir, "0.3.0");
    let board = Board::new(&dir, &dir.join("key.pub"));
    let wrong_token = cli()
        .args(["push", &board.camera(), bundle.to_str().expect("utf-8"), "--token", "wrong", "--no-wait"])
        .output()
        .expect("push");
    assert!(!wrong_token.status.success());
    assert!(text(&wrong_token).contains("refused the token (401)"), "{}", text(&wrong_token));

    let other = scratch("refusals-other");
    let stranger = keys_and_bundle(&other, "0.3.0");
    let unknown = push(&board, &stranger, &["--no-wait"]).wait_with_output().expect("push");
    assert!(!unknown.status.success());
    assert!(text(&unknown).contains("unknown key"), "{}", text(&unknown));

    let old = keys_and_bundle(&dir, "0.1.0");
    let downgrade = push(&board, &old, &["--no-wait"]).wait_with_output().expect("push");
    assert!(text(&downgrade).contains("add --force to downgrade"), "{}", text(&downgrade));
    assert_eq!(board.target.armed(), None);

    // File-backed slots cannot roll back (the board's do): the tool passes the refusal on.
    // (Firmware without POST /api/rollback answers 404, with one 501 for these slots.)
    let rollback =
        cli().args(["rollback", &board.camera(), "--token", TOKEN, "--no-wait"]).output().expect("rollback");
    assert!(!rollback.status.success());
    let said = text(&rollback);
    assert!(said.contains(&board.camera()) && (said.contains("(404)") || said.contains("(501)")), "{said}");

    let nobody = cli().args(["status", "127.0.0.1:1"]).output().expect("status");
    assert!(text(&nobody).contains("cannot reach the camera"), "{}", text(&nobody));
    let no_token =
        cli().args(["push", &board.camera(), bundle.to_str().expect("utf-8")]).output().expect("push");
    assert_eq!(no_token.status.code(), Some(2));
    assert!(text(&no_token).contains("ZEROCAM_TOKEN"));
}
