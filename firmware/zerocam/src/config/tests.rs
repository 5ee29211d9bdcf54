use super::*;
use crate::system::RunMode;
use std::ffi::OsString;

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

fn serve(list: &[&str]) -> Result<Config, ConfigError> {
    match parse_args(args(list), None)? {
        Command::Serve(config) => Ok(*config),
        other => panic!("expected serve, got {other:?}"),
    }
}

#[test]
fn no_flags_means_one_test_pattern_camera_on_loopback() {
    let config = serve(&[]).expect("defaults");
    assert_eq!(config.http.listen, None);
    assert_eq!(config.http.listen_addr(RunMode::Process).to_string(), "127.0.0.1:8080");
    assert_eq!(config.http.listen_addr(RunMode::Pid1).to_string(), "0.0.0.0:80");
    let cameras = config.cameras_or_default();
    assert_eq!(cameras.len(), 1);
    assert_eq!(cameras[0].source, SourceSpec::TestPattern);
}

#[test]
fn flags_from_the_issue_work() {
    let config = serve(&[
        "--source",
        "replay:clip.mjpeg",
        "--fps",
        "25",
        "--listen",
        "127.0.0.1:9090",
        "--size",
        "1280x720",
    ])
    .expect("flags");
    assert_eq!(config.http.listen.map(|addr| addr.port()), Some(9090));
    assert_eq!(config.cameras[0].source, SourceSpec::Replay("clip.mjpeg".into()));
    assert_eq!(config.cameras[0].fps, 25);
    assert_eq!(config.cameras[0].size, Resolution { width: 1280, height: 720 });
}

#[test]
fn bad_flags_say_which() {
    for (list, needle) in [
        (&["--fps", "0"][..], "--fps"),
        (&["--fps", "fast"][..], "--fps"),
        (&["--size", "big"][..], "--size"),
        (&["--source", "nope"][..], "--source"),
        (&["--listen", "8080"][..], "--listen"),
        (&["--frobnicate"][..], "frobnicate"),
    ] {
        let err = serve(list).expect_err(needle).to_string();
        assert!(err.contains(needle), "{err}");
    }
}

const TWO_CAMERAS: &str = r#"
[http]
listen = "0.0.0.0:80"
max_clients = 32

[[camera]]
name = "front"
source = "testpattern"
size = "320x240"
fps = 10

[[camera]]
name = "back"
source = "replay:/tmp/clip.mjpeg"
"#;

#[test]
fn file_with_two_cameras() {
    let config = parse_file_text(TWO_CAMERAS).expect("valid file");
    assert_eq!(config.http.max_clients, 32);
    assert_eq!(config.cameras.len(), 2);
    assert_eq!(config.cameras[0].name, "front");
    assert_eq!(config.cameras[0].fps, 10);
    assert_eq!(config.cameras[1].fps, 25, "defaults fill missing keys");
}

#[test]
fn flags_override_the_file() {
    let dir = std::env::temp_dir().join(format!("zerocam-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("zerocam.toml");
    std::fs::write(&path, TWO_CAMERAS).expect("write config");
    let path_text = path.to_str().expect("utf-8 temp path");
    let config = serve(&["--config", path_text, "--fps", "5", "--listen", "127.0.0.1:1234"]).expect("config");
    assert_eq!(config.cameras[0].fps, 5);
    assert_eq!(config.cameras[1].fps, 25);
    assert_eq!(config.http.listen.map(|addr| addr.port()), Some(1234));
    assert_eq!(config.http.max_clients, 32);
    std::fs::remove_dir_all(&dir).ok();
}

/// Each bad file is refused with a message naming the line and what is wrong.
#[test]
fn bad_files_name_the_line_and_key() {
    let cases = [
        ("[http]\nlisten = \"0.0.0.0:80\"\nmax_clientz = 3\n", "line 3", "max_clientz"),
        ("[[camera]]\nname = \"a\"\nfps = 500\n", "line 3", "out of range"),
        ("[[camera]]\nsize = \"huge\"\n", "line 2", "WIDTHxHEIGHT"),
        ("[[camera]]\nsource = \"webcam\"\n", "line 2", "unknown source"),
        ("[[camera]]\nname = \"has space\"\n", "line 2", "camera name"),
        ("[log]\nlevel = \"loud\"\n", "line 2", "log level"),
        ("[http\n", "line 1", ""),
        ("[[camera]]\nname = \"a\"\n[[camera]]\nname = \"a\"\n", "line 4", "used twice"),
        ("[colour]\nmode = 1\n", "line 1", "colour"),
    ];
    for (text, line, needle) in cases {
        let err = parse_file_text(text).expect_err(text).to_string();
        assert!(err.contains(line), "{text:?} -> {err}");
        assert!(err.contains(needle), "{text:?} -> {err}");
    }
}

#[test]
fn missing_config_file_is_an_error() {
    let err = serve(&["--config", "/nonexistent/zerocam.toml"]).expect_err("missing file");
    assert!(err.to_string().contains("/nonexistent/zerocam.toml"), "{err}");
}

#[test]
fn cameras_subcommand() {
    assert!(matches!(parse_args(args(&["cameras"]), None), Ok(Command::ListCameras)));
}

// --- libcamera sensor controls ---

#[test]
fn libcamera_controls_parse_from_a_sub_table() {
    let text = "[[camera]]\nname = \"csi\"\nsource = \"libcamera\"\n\n[camera.libcamera]\n\
                exposure_us = 10000\nanalogue_gain = 2\nawb = \"daylight\"\nautofocus = \"off\"\n\
                hflip = true\n";
    let config = parse_file_text(text).expect("valid libcamera controls");
    let controls = &config.cameras[0].libcamera;
    assert_eq!(controls.exposure_us, Some(10_000));
    assert_eq!(controls.analogue_gain, Some(2.0));
    assert_eq!(controls.awb, AwbSetting::Daylight);
    assert_eq!(controls.autofocus, AutofocusSetting::Off);
    assert!(controls.hflip && !controls.vflip);
}

#[test]
fn libcamera_controls_default_to_automatic() {
    let config = parse_file_text("[[camera]]\nsource = \"libcamera\"\n").expect("valid");
    let controls = &config.cameras[0].libcamera;
    assert_eq!((controls.exposure_us, controls.analogue_gain), (None, None));
    assert_eq!(controls.awb, AwbSetting::Auto);
    assert_eq!(controls.autofocus, AutofocusSetting::Continuous);
    assert!(!controls.hflip && !controls.vflip);
}

#[test]
fn bad_libcamera_controls_name_the_line_and_key() {
    let head = "[[camera]]\nname = \"csi\"\n[camera.libcamera]\n";
    let cases = [
        ("exposure_us = 0\n", "out of range"),
        ("exposure_us = 5000000\n", "out of range"),
        ("analogue_gain = 0.5\n", "analogue gain"),
        ("analogue_gain = \"high\"\n", "analogue_gain"),
        ("awb = \"sunny\"\n", "white balance"),
        ("autofocus = \"macro\"\n", "autofocus"),
        ("hflip = \"yes\"\n", "hflip"),
        ("iso = 100\n", "iso"),
    ];
    assert_refused_at_line_4(head, &cases);
}

/// Each `head` + case line is refused with an error naming line 4 (the case's line) and
/// containing the case's needle.
fn assert_refused_at_line_4(head: &str, cases: &[(&str, &str)]) {
    for (line, needle) in cases {
        let text = format!("{head}{line}");
        let err = parse_file_text(&text).expect_err(&text).to_string();
        assert!(err.contains("line 4"), "{text:?} -> {err}");
        assert!(err.contains(needle), "{text:?} -> {err}");
    }
}

// --- V4L2 picture controls ---

#[test]
fn v4l2_controls_parse_from_a_sub_table() {
    let text = "[[camera]]\nname = \"usb\"\nsource = \"v4l2:/dev/video0\"\n\n[camera.v4l2]\n\
                rotation = 180\nhflip = true\nbrightness = 60\ncontrast = 0\n\
                exposure = 10000\nwhite_balance = \"auto\"\n";
    let config = parse_file_text(text).expect("valid v4l2 controls");
    let controls = &config.cameras[0].v4l2;
    assert_eq!(controls.rotation, 180);
    assert!(controls.hflip && !controls.vflip);
    assert_eq!((controls.brightness, controls.contrast), (Some(60), Some(0)));
    assert_eq!(controls.exposure, Some(AutoOr::Fixed(10_000)));
    assert_eq!(controls.white_balance, Some(AutoOr::Auto));
}

#[test]
fn v4l2_controls_default_to_leaving_the_device_alone() {
    let config = parse_file_text("[[camera]]\nsource = \"v4l2:/dev/video0\"\n").expect("valid");
    assert_eq!(config.cameras[0].v4l2, V4l2Controls::default());
    let controls = V4l2Controls::default();
    assert_eq!((controls.rotation, controls.brightness, controls.exposure), (0, None, None));
    let inline = parse_file_text("[[camera]]\nv4l2 = { exposure = \"auto\", white_balance = 5000 }\n")
        .expect("inline table");
    assert_eq!(inline.cameras[0].v4l2.exposure, Some(AutoOr::Auto));
    assert_eq!(inline.cameras[0].v4l2.white_balance, Some(AutoOr::Fixed(5000)));
}

#[test]
fn bad_v4l2_controls_name_the_line_and_key() {
    let head = "[[camera]]\nname = \"usb\"\n[camera.v4l2]\n";
    let cases = [
        ("rotation = 45\n", "not a rotation"),
        ("rotation = \"upside down\"\n", "rotation"),
        ("brightness = 101\n", "out of range"),
        ("contrast = -1\n", "out of range"),
        ("exposure = \"manual\"\n", "\"auto\""),
        ("exposure = 5\n", "out of range"),
        ("white_balance = 50000\n", "out of range"),
        ("white_balance = true\n", "white_balance"),
        ("vflip = 1\n", "vflip"),
        ("gamma = 2\n", "gamma"),
        ("encoder = \"hardware\"\n", "unknown encoder"),
        ("encoder = \"video31\"\n", "/dev/video31"),
        ("encoder = \"/dev/\"\n", "unknown encoder"),
        ("encoder = 31\n", "encoder"),
    ];
    assert_refused_at_line_4(head, &cases);
}

#[test]
fn v4l2_encoder_is_auto_software_or_a_device() {
    let default = parse_file_text("[[camera]]\nsource = \"v4l2:/dev/video0\"\n").expect("valid");
    assert_eq!(default.cameras[0].v4l2.encoder, EncoderSetting::Auto);
    let head = "[[camera]]\nsource = \"v4l2:/dev/video0\"\n[camera.v4l2]\n";
    let cases = [
        ("encoder = \"auto\"\n", EncoderSetting::Auto),
        ("encoder = \"software\"\n", EncoderSetting::Software),
        ("encoder = \"/dev/video31\"\n", EncoderSetting::Device("/dev/video31".into())),
    ];
    for (line, expected) in cases {
        let config = parse_file_text(&format!("{head}{line}")).expect(line);
        assert_eq!(config.cameras[0].v4l2.encoder, expected, "{line}");
    }
}

// --- [update] ---

#[test]
fn update_trial_timeout_has_a_default_and_a_range() {
    assert_eq!(parse_file_text("").expect("empty file").update.trial_timeout_secs, 60);
    let config = parse_file_text("[update]\ntrial_timeout_secs = 120\n").expect("in range");
    assert_eq!(config.update.trial_timeout_secs, 120);
    for (text, needle) in [
        ("[update]\ntrial_timeout_secs = 5\n", "out of range"),
        ("[update]\ntrial_timeout_secs = 100000\n", "out of range"),
        ("[update]\ntrial_timeout = 60\n", "trial_timeout"),
    ] {
        let err = parse_file_text(text).expect_err(text).to_string();
        assert!(err.contains("line 2") && err.contains(needle), "{text:?} -> {err}");
    }
}
