use super::*;

/// A card image big enough for both copies, in a temporary file.
fn card(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("zerocam-boot-state-{}-{name}", std::process::id()));
    let file = File::create(&path).expect("create card");
    file.set_len(COPY_OFFSETS[1] + COPY_SIZE as u64).expect("size card");
    path
}

/// The record U-Boot's own tools write (mkenvimage -s 0x1000 of ci/build-image's first
/// state): CRC-32 of the data area, then NUL-separated pairs.
fn uboot_block(pairs: &[&str]) -> [u8; COPY_SIZE] {
    let mut block = [0u8; COPY_SIZE];
    let mut at = 4;
    for pair in pairs {
        block[at..at + pair.len()].copy_from_slice(pair.as_bytes());
        at += pair.len() + 1;
    }
    let crc = crc32fast::hash(&block[4..]);
    block[..4].copy_from_slice(&crc.to_le_bytes());
    block
}

#[test]
fn reads_what_the_image_build_writes() {
    let block = uboot_block(&[
        "zc_seq=1",
        "zc_slot=a",
        "zc_result=none",
        "zc_good_a=1",
        "zc_good_b=1",
        "zc_ver_a=0.1.0",
        "zc_ver_b=0.1.0",
    ]);
    let state = BootState::decode(&block).expect("valid record");
    assert_eq!(state, BootState::factory("0.1.0"));
}

#[test]
fn reads_what_the_boot_script_writes_after_a_failed_trial() {
    // setexpr counts in hex: sequence 0x1a, and the reason has spaces.
    let block = uboot_block(&[
        "zc_good_a=1",
        "zc_good_b=0",
        "zc_reason=slot b never committed: its trial boot ended",
        "zc_result=rolled-back",
        "zc_seq=1a",
        "zc_slot=a",
        "zc_ver_a=0.1.0",
        "zc_ver_b=0.2.0",
    ]);
    let state = BootState::decode(&block).expect("valid record");
    assert_eq!(state.seq, 0x1a);
    assert_eq!(state.result, UpdateResult::RolledBack);
    assert_eq!(state.trial, None);
    assert!(state.is_good(SlotName::A) && !state.is_good(SlotName::B));
    assert_eq!(state.version(SlotName::B), Some("0.2.0"));
    assert!(state.reason.starts_with("slot b never committed"));
}

#[test]
fn encodes_in_sorted_order_like_uboot_export() {
    let mut state = BootState::factory("0.1.0");
    state.trial = Some(SlotName::B);
    state.tries = 1;
    state.set_outcome(UpdateResult::Trying, "update to 0.2.0");
    let block = state.encode();
    let text: Vec<&[u8]> = block[4..].split(|&b| b == 0).take_while(|e| !e.is_empty()).collect();
    let mut sorted = text.clone();
    sorted.sort();
    assert_eq!(text, sorted);
    assert!(text.contains(&&b"zc_trial=b"[..]) && text.contains(&&b"zc_tries=1"[..]));
    assert_eq!(BootState::decode(&block), Some(state));
}

#[test]
fn a_torn_or_missing_record_is_not_used() {
    let mut block = BootState::factory("0.1.0").encode();
    block[100] ^= 0x40;
    assert_eq!(BootState::decode(&block), None);
    assert_eq!(BootState::decode(&[0u8; COPY_SIZE]), None);
    // A valid CRC without the keys every record has.
    assert_eq!(BootState::decode(&uboot_block(&["zc_result=none"])), None);
}

#[test]
fn writes_alternate_copies_and_the_newest_wins() {
    let path = card("alternate");
    let store = BootStateStore::new(&path, "0.1.0");
    let first = store.load().expect("load");
    assert_eq!(first.copy, None, "an empty card has no record");
    let written = store.update(|state| state.set_outcome(UpdateResult::Trying, "one")).expect("store");
    assert_eq!(store.load().expect("load").copy, Some(0));
    let second = store.update(|state| state.set_outcome(UpdateResult::Committed, "two")).expect("store");
    assert!(second.seq > written.seq);
    let loaded = store.load().expect("load");
    assert_eq!(loaded.copy, Some(1));
    assert_eq!(loaded.state.reason, "two");
    std::fs::remove_file(path).ok();
}

#[test]
fn a_write_cut_short_leaves_the_previous_state() {
    let path = card("torn");
    let store = BootStateStore::new(&path, "0.1.0");
    store.update(|state| state.set_outcome(UpdateResult::Committed, "before")).expect("store");
    store.update(|state| state.set_outcome(UpdateResult::Trying, "after")).expect("store");
    // A power cut half-way through the second write: its copy (1) is half old, half new.
    let mut file = OpenOptions::new().write(true).open(&path).expect("open");
    file.seek(SeekFrom::Start(COPY_OFFSETS[1] + 2048)).expect("seek");
    file.write_all(&[0xffu8; 2048]).expect("tear");
    drop(file);
    let loaded = store.load().expect("load");
    assert_eq!(loaded.copy, Some(0));
    assert_eq!(loaded.state.reason, "before");
    // The next write goes over the torn copy, not the good one.
    store.update(|state| state.set_outcome(UpdateResult::Committed, "again")).expect("store");
    assert_eq!(store.load().expect("load").copy, Some(1));
    std::fs::remove_file(path).ok();
}

#[test]
fn long_or_control_text_is_clipped() {
    let mut state = BootState::factory("0.1.0");
    state.set_outcome(UpdateResult::RolledBack, &format!("line\nbreak {}", "é".repeat(400)));
    assert!(state.reason.len() <= MAX_REASON && !state.reason.contains('\n'));
    assert_eq!(BootState::decode(&state.encode()).expect("valid").reason, state.reason);
}
