//! The encoder against libjpeg-turbo's `cjpeg` on the same picture and quality: with the
//! same quantisation and the standard Huffman tables (a stream's first frame) the size must
//! be libjpeg's within 2 %, with fitted tables (later frames) no larger, and the decoded
//! picture as close to the original. Skipped, with a note, when `cjpeg` is not installed,
//! unless ZEROCAM_REQUIRE_CJPEG=1 (ci/test's unit stage installs it and sets that).

use std::path::PathBuf;
use std::process::Command;

use super::super::*;
use super::{decode, psnr, Planar};

fn cjpeg_available() -> bool {
    let found = Command::new("cjpeg").arg("-version").output().is_ok();
    if !found {
        assert!(std::env::var_os("ZEROCAM_REQUIRE_CJPEG").is_none(), "cjpeg is required but not installed");
        eprintln!("note: cjpeg (libjpeg-turbo-progs) not installed, libjpeg comparison skipped");
    }
    found
}

/// Runs `cjpeg -quality Q` on a PGM/PPM file made of `header` and `samples`.
fn cjpeg(name: &str, header: String, samples: &[u8], quality: u8) -> Vec<u8> {
    let base = std::env::temp_dir().join(format!("zerocam-cjpeg-{}-{name}", std::process::id()));
    let (input, output) = (PathBuf::from(format!("{}.pnm", base.display())), base.with_extension("jpg"));
    let mut file = header.into_bytes();
    file.extend_from_slice(samples);
    std::fs::write(&input, file).expect("writes the input picture");
    let status = Command::new("cjpeg")
        .args(["-quality", &quality.to_string(), "-outfile"])
        .arg(&output)
        .arg(&input)
        .status()
        .expect("runs cjpeg");
    assert!(status.success(), "cjpeg failed: {status}");
    let jpeg = std::fs::read(&output).expect("reads cjpeg's output");
    let _ = std::fs::remove_file(&input);
    let _ = std::fs::remove_file(&output);
    jpeg
}

/// Detail of several kinds: a ramp, hard edges, text-like strokes and a little noise.
fn test_picture() -> Planar {
    let mut state = 99u32;
    Planar::from_rgb(320, 240, |x, y| {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let noise = (state >> 28) as usize;
        let bar = [(235, 235, 235), (180, 180, 16), (16, 180, 180), (16, 180, 16), (180, 16, 180)][x / 64];
        let stroke = (x / 3 + y / 5) % 7 == 0 && y < 80;
        let ramp = (x + y) * 255 / 560;
        if y >= 160 {
            [(ramp + noise) as u8, (255 - ramp) as u8, (ramp / 2 + noise) as u8]
        } else if stroke {
            [250, 250, 250]
        } else {
            [bar.0 as u8, bar.1 as u8, bar.2 as u8]
        }
    })
}

fn compare(name: &str, frame: Frame<'_>, original: &[u8], theirs: Vec<u8>, quality: u8) {
    let encoder = JpegEncoder::new(quality);
    let mut out = vec![0u8; 1 << 20];
    let first = encoder.encode(&frame, &mut out).expect("encodes");
    let first_pixels = decode(&out[..first]).3;
    let second = encoder.encode(&frame, &mut out).expect("encodes");
    let ours = psnr(original.iter().copied(), decode(&out[..second]).3.into_iter());
    assert_eq!(first_pixels, decode(&out[..second]).3, "{name}: fitted tables changed pixels");
    let theirs_psnr = psnr(original.iter().copied(), decode(&theirs).3.into_iter());
    let theirs = theirs.len();
    eprintln!("{name} q{quality}: zerocam {first} then {second} bytes, {ours:.2} dB; cjpeg {theirs} bytes, {theirs_psnr:.2} dB");
    assert!(
        first.abs_diff(theirs) * 50 <= theirs,
        "{name} q{quality}: standard tables {first} vs cjpeg {theirs}"
    );
    assert!(second <= theirs, "{name} q{quality}: fitted tables {second} bytes vs cjpeg {theirs}");
    assert!(ours >= theirs_psnr - 0.05, "{name} q{quality}: {ours:.2} dB vs cjpeg {theirs_psnr:.2} dB");
}

#[test]
fn no_larger_than_libjpeg_at_the_same_quality_and_fidelity() {
    if !cjpeg_available() {
        return;
    }
    let picture = test_picture();
    let (width, height) = (picture.width, picture.height);
    for quality in [50, 80, 95] {
        // Grey: cjpeg gets the luma plane itself, so both code exactly the same samples.
        let pgm = cjpeg("gray", format!("P5 {width} {height} 255\n"), &picture.y, quality);
        compare("gray", picture.gray(), &picture.y, pgm, quality);
        // Colour: cjpeg converts the RGB itself (4:2:0); we get the same conversion's planes.
        let rgb: Vec<u8> = picture.rgb.iter().flatten().copied().collect();
        let ppm = cjpeg("colour", format!("P6 {width} {height} 255\n"), &rgb, quality);
        compare("colour", picture.i420(), &rgb, ppm, quality);
    }
}
