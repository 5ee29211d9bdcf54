//! `zerocam cameras`: every /dev/video* node with what it offers.

use super::enumerate::describe_path;
use super::report::device_text;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The /dev/videoN nodes in `dev`, in numeric order (video2 before video10).
pub fn video_nodes(dev: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dev) else { return Vec::new() };
    let mut nodes: Vec<(u32, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let number = name.to_str()?.strip_prefix("video")?.parse().ok()?;
            Some((number, entry.path()))
        })
        .collect();
    nodes.sort();
    nodes.into_iter().map(|(_, path)| path).collect()
}

/// Prints every node under `dev`; returns how many are capture devices zerocam can use.
pub fn print_cameras(dev: &Path, out: &mut impl Write) -> io::Result<usize> {
    let mut cameras = 0;
    for (index, path) in video_nodes(dev).iter().enumerate() {
        if index > 0 {
            writeln!(out)?;
        }
        match describe_path(path) {
            Ok(info) => {
                if info.is_capture() {
                    cameras += 1;
                }
                out.write_all(device_text(&info).as_bytes())?;
            }
            Err(err) => writeln!(out, "{err}")?,
        }
    }
    if cameras == 0 {
        writeln!(out, "no V4L2 cameras found")?;
    }
    Ok(cameras)
}

/// The `zerocam cameras` command: lists /dev/video*. Always succeeds unless stdout fails;
/// "no cameras" is an answer, not an error.
pub fn list_cameras() -> io::Result<usize> {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let cameras = print_cameras(Path::new("/dev"), &mut out)?;
    out.flush()?;
    Ok(cameras)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_are_found_in_numeric_order_and_others_ignored() {
        let dir = std::env::temp_dir().join(format!("zerocam-v4l2-nodes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for name in ["video10", "video2", "video0", "videox", "vchiq", "media0"] {
            std::fs::write(dir.join(name), b"").expect("node");
        }
        let names: Vec<String> =
            video_nodes(&dir).iter().filter_map(|p| p.file_name()?.to_str().map(str::to_owned)).collect();
        assert_eq!(names, ["video0", "video2", "video10"]);

        // Plain files are not devices: each says why, and the summary line follows.
        let mut out = Vec::new();
        assert_eq!(print_cameras(&dir, &mut out).expect("print"), 0);
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("video0: "), "{text}");
        assert!(text.ends_with("no V4L2 cameras found\n"), "{text}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn no_nodes_at_all() {
        let mut out = Vec::new();
        assert_eq!(print_cameras(Path::new("/nonexistent-dev"), &mut out).expect("print"), 0);
        assert_eq!(String::from_utf8_lossy(&out), "no V4L2 cameras found\n");
    }
}
