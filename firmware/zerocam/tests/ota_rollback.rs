//! POST /api/rollback over real HTTP against the board's own UpdateTarget (BoardTarget) on
//! files: the token is required, a committed other slot gets a trial boot and the board
//! reboots, and a slot holding a failed update is refused with nothing changed.

mod common;

use common::*;
use std::path::PathBuf;
use std::sync::Arc;
use zerocam::app;
use zerocam::ota::board::{BoardPaths, BoardTarget, BootArgs};
use zerocam::ota::boot_state::{BootState, BootStateStore, COPY_OFFSETS, COPY_SIZE};
use zerocam::ota::{SlotName, UpdateTarget, Updater};
use zerocam::system::{PowerAction, RunMode};

const TOKEN: &str = "rollback-token";

struct Board {
    dir: PathBuf,
    paths: BoardPaths,
}

impl Board {
    fn new(name: &str) -> Board {
        let dir = std::env::temp_dir().join(format!("zerocam-rollback-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let card = dir.join("card.img");
        std::fs::write(&card, vec![0u8; COPY_OFFSETS[1] as usize + COPY_SIZE]).expect("card");
        let slots = [dir.join("p2"), dir.join("p3")];
        for slot in &slots {
            std::fs::write(slot, vec![0u8; 64 * 1024]).expect("slot");
        }
        BootStateStore::new(&card, "0.1.0").store(&BootState::factory("0.1.0")).expect("first state");
        Board { dir, paths: BoardPaths { card, slots } }
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn post_rollback(addr: std::net::SocketAddr, token: &str) -> Response {
    let request =
        format!("POST /api/rollback HTTP/1.1\r\nHost: camera\r\nAuthorization: Bearer {token}\r\nContent-Length: 0\r\n\r\n");
    raw(addr, request.as_bytes())
}

#[test]
fn rollback_arms_a_trial_of_the_committed_other_slot_and_reboots() {
    let board = Board::new("ok");
    let target =
        Arc::new(BoardTarget::new(board.paths.clone(), BootArgs { slot: SlotName::A, trial: false }));
    let updater = Arc::new(Updater::new(target.clone(), zerocam_bundle::Keyring::default()));
    let (camera, output) = manual_camera("cam0", 4, 16 * 1024, 16);
    let mut http = http_config();
    http.admin_token = Some(TOKEN.into());
    let control = Arc::new(RecordingControl::default());
    let server = app::serve_cameras_with_updates(
        vec![camera],
        &http,
        RunMode::Process,
        control.clone(),
        Some(updater),
    )
    .expect("server starts");
    let _feeder = Feeder::start(output, 30, 5000);
    let addr = server.local_addr();

    assert_eq!(post_rollback(addr, "guess").status, 401);
    assert_eq!(raw(addr, b"GET /api/rollback HTTP/1.1\r\nHost: camera\r\n\r\n").status, 405);
    assert_eq!(target.state().expect("state").trial, None, "refused requests change nothing");

    let response = post_rollback(addr, TOKEN);
    assert_eq!(response.status, 202, "{}", response.text());
    assert!(response.text().contains("slot b (0.1.0)"), "{}", response.text());
    let state = BootStateStore::new(&board.paths.card, "?").load().expect("card").state;
    assert_eq!((state.committed, state.trial, state.tries), (SlotName::A, Some(SlotName::B), 1));
    assert_eq!(control.requests.lock().expect("requests").clone(), [PowerAction::Reboot]);
    let status = status_json(addr);
    assert_eq!(status["ota"]["last_result"], "trying", "{status}");
    assert_eq!(status["ota"]["other_slot_committed"], true, "{status}");
}

#[test]
fn rollback_to_a_failed_update_is_refused() {
    let board = Board::new("refused");
    let target =
        Arc::new(BoardTarget::new(board.paths.clone(), BootArgs { slot: SlotName::A, trial: false }));
    target.begin_write(SlotName::B).expect("an update starts");
    target.arm_trial(SlotName::B, "0.2.0").expect("armed");
    BoardTarget::new(board.paths.clone(), BootArgs { slot: SlotName::B, trial: true })
        .fail_trial("slot b (0.2.0) did not become healthy in 60 s: network not up")
        .expect("failed trial");
    let target =
        Arc::new(BoardTarget::new(board.paths.clone(), BootArgs { slot: SlotName::A, trial: false }));
    let before = BootStateStore::new(&board.paths.card, "?").load().expect("card").state;
    let updater = Arc::new(Updater::new(target, zerocam_bundle::Keyring::default()));
    let mut http = http_config();
    http.admin_token = Some(TOKEN.into());
    let (camera, _output) = manual_camera("cam0", 4, 16 * 1024, 16);
    let control = Arc::new(RecordingControl::default());
    let server = app::serve_cameras_with_updates(
        vec![camera],
        &http,
        RunMode::Process,
        control.clone(),
        Some(updater),
    )
    .expect("server starts");
    let response = post_rollback(server.local_addr(), TOKEN);
    assert_eq!(response.status, 409, "{}", response.text());
    assert!(response.text().contains("rolled back"), "{}", response.text());
    assert_eq!(BootStateStore::new(&board.paths.card, "?").load().expect("card").state, before);
    assert!(control.requests.lock().expect("requests").is_empty(), "no reboot");
    let status = status_json(server.local_addr());
    assert_eq!(status["ota"]["last_result"], "rolled-back", "{status}");
    assert!(status["ota"]["rollback"].as_str().is_some_and(|why| why.contains("network not up")), "{status}");
}
