use super::*;
use crate::ota::boot_state::{COPY_OFFSETS, COPY_SIZE};

struct Board {
    dir: PathBuf,
    paths: BoardPaths,
}

impl Board {
    fn new(name: &str) -> Board {
        let dir = std::env::temp_dir().join(format!("zerocam-board-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let card = dir.join("card");
        File::create(&card).and_then(|f| f.set_len(COPY_OFFSETS[1] + COPY_SIZE as u64)).expect("card");
        let slots = [dir.join("p2"), dir.join("p3")];
        for slot in &slots {
            File::create(slot).and_then(|f| f.set_len(1 << 20)).expect("slot");
        }
        let paths = BoardPaths { card, slots };
        BootStateStore::new(&paths.card, "0.1.0").store(&BootState::factory("0.1.0")).expect("first state");
        Board { dir, paths }
    }

    fn boot(&self, slot: SlotName, trial: bool) -> BoardTarget {
        BoardTarget::new(self.paths.clone(), BootArgs { slot, trial })
    }
}

impl Drop for Board {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

#[test]
fn command_line_names_the_slot_and_the_trial() {
    let args = BootArgs::parse("rdinit=/init zerocam.slot=b zerocam.trial=1\n");
    assert_eq!(args, Some(BootArgs { slot: SlotName::B, trial: true }));
    assert_eq!(
        BootArgs::parse("zerocam.slot=a zerocam.trial=0"),
        Some(BootArgs { slot: SlotName::A, trial: false })
    );
    assert_eq!(BootArgs::parse("rdinit=/init panic=10"), None, "single-slot cards name no slot");
}

#[test]
fn slots_are_the_partitions_with_their_sizes_and_versions() {
    let board = Board::new("slots");
    let target = board.boot(SlotName::A, false);
    let inactive = target.inactive_slot().expect("inactive");
    assert_eq!((inactive.name, inactive.capacity), (SlotName::B, 1 << 20));
    assert_eq!(inactive.device, board.paths.slots[1]);
    assert_eq!(inactive.version.as_deref(), Some("0.1.0"));
    assert_eq!(target.running_slot().expect("running").name, SlotName::A);
    assert_eq!(target.running_version(), "0.1.0");
    assert_eq!(target.trial(), Some(false));
}

#[test]
fn an_update_arms_a_trial_that_commits() {
    let board = Board::new("commit");
    let old = board.boot(SlotName::A, false);
    assert!(old.begin_write(SlotName::A).is_err(), "never the running slot");
    assert!(old.arm_trial(SlotName::A, "0.2.0").is_err(), "never the running slot");
    old.begin_write(SlotName::B).expect("begin");
    let state = old.state().expect("state");
    assert_eq!((state.version(SlotName::B), state.is_good(SlotName::B)), (None, false));
    assert!(old.rollback().is_err(), "a slot being written is no rollback target");
    old.arm_trial(SlotName::B, "0.2.0").expect("arm");
    let state = old.state().expect("state");
    assert_eq!((state.trial, state.tries, state.result), (Some(SlotName::B), 1, UpdateResult::Trying));
    assert!(!state.is_good(SlotName::B), "not a rollback target until it commits");
    // The boot script counts the trial down and boots slot b with zerocam.trial=1.
    BootStateStore::new(&board.paths.card, "0.1.0").update(|state| state.tries = 0).expect("script");
    let new = board.boot(SlotName::B, true);
    assert_eq!(new.trial(), Some(true));
    assert_eq!(new.running_version(), "0.2.0");
    new.commit("healthy").expect("commit");
    let state = new.state().expect("state");
    assert_eq!((state.committed, state.trial, state.result), (SlotName::B, None, UpdateResult::Committed));
    assert!(state.is_good(SlotName::B) && state.reason.contains("slot b (0.2.0) committed"));
    assert_eq!(new.trial(), Some(false));
}

#[test]
fn a_failed_trial_records_why_and_goes_back() {
    let board = Board::new("fail");
    board.boot(SlotName::A, false).arm_trial(SlotName::B, "0.2.0").expect("arm");
    let new = board.boot(SlotName::B, true);
    new.fail_trial("slot b (0.2.0) did not become healthy in 60 s: network not up").expect("fail");
    let old = board.boot(SlotName::A, false);
    assert_eq!(old.state().expect("state").committed, SlotName::A);
    assert_eq!(
        old.last_rollback().as_deref(),
        Some("rolled back: slot b (0.2.0) did not become healthy in 60 s: network not up")
    );
    let err = old.rollback().expect_err("the failed slot is no rollback target").to_string();
    assert!(err.contains("rolled back"), "{err}");
}

#[test]
fn rollback_is_a_trial_of_the_other_committed_slot() {
    let board = Board::new("rollback");
    let target = board.boot(SlotName::A, false);
    assert_eq!(target.other_slot_good(), Some(true));
    assert_eq!(target.rollback().expect("rollback"), (SlotName::B, "0.1.0".to_owned()));
    let state = target.state().expect("state");
    assert_eq!((state.committed, state.trial), (SlotName::A, Some(SlotName::B)));
    assert!(state.is_good(SlotName::B), "a rollback does not touch the slot");
}
