//! Kernel modules: which files to load, in dependency order from modules.dep, and loading
//! them with finit_module(2) (xz-compressed modules are decompressed by the kernel).
//!
//! There is no modprobe on the board, so the kernel's own request_module() calls fail: every
//! module a driver asks for at run time (crc32c for ext4, code pages for vfat) has to be in
//! the boot list, /etc/modules.

use super::error::{Context, Pid1Error};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

/// The boot list: module names, one per line, `#` comments (Debian's /etc/modules format).
/// Loaded before the config is read: what the network and the SD card's partitions need.
pub const BOOT_LIST: &str = "/etc/modules";
/// Loaded in the background before the data partition is mounted (ext4): nothing the stream
/// needs lives there, so it is mounted while the server starts.
pub const DATA_LIST: &str = "/etc/modules.data";
/// Loaded in the background after the boot partition is mounted (cameras): the server
/// starts meanwhile, and camera sources retry until their device appears.
pub const LATE_LIST: &str = "/etc/modules.late";

/// Loads slower than this are logged.
const SLOW_LOAD: std::time::Duration = std::time::Duration::from_millis(100);

/// finit_module flag: the file is compressed and the kernel should decompress it.
const MODULE_INIT_COMPRESSED_FILE: i32 = 4;

/// modules.dep: for each module file, every module it needs (transitively), relative to
/// /lib/modules/<release>.
#[derive(Debug, Default)]
pub struct ModuleIndex {
    /// Normalized module name -> (file, dependency files).
    entries: HashMap<String, (String, Vec<String>)>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// Not in modules.dep (nor built in: the caller checks modules.builtin).
    Unknown(String),
}

impl ModuleIndex {
    pub fn parse(modules_dep: &str) -> ModuleIndex {
        let mut entries = HashMap::new();
        for line in modules_dep.lines() {
            let Some((file, deps)) = line.split_once(':') else { continue };
            let file = file.trim();
            if file.is_empty() {
                continue;
            }
            let deps = deps.split_ascii_whitespace().map(str::to_owned).collect();
            entries.insert(module_name(file), (file.to_owned(), deps));
        }
        ModuleIndex { entries }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(&normalize(name))
    }

    /// The files to load for `names`, each after everything it depends on, each once.
    pub fn load_order(&self, names: &[&str]) -> Result<Vec<String>, ResolveError> {
        let by_file: HashMap<&str, &Vec<String>> =
            self.entries.values().map(|(file, deps)| (file.as_str(), deps)).collect();
        let mut order = Vec::new();
        for name in names {
            let (file, _) =
                self.entries.get(&normalize(name)).ok_or_else(|| ResolveError::Unknown((*name).into()))?;
            // Depth-first, dependencies before dependants. modules.dep already lists the
            // whole closure of each module, but its order is only a convention of depmod;
            // sorting ourselves also copes with hand-written or trimmed files. `visiting`
            // breaks cycles, which depmod refuses to write but a damaged file could hold.
            let mut visiting = Vec::new();
            visit(file, &by_file, &mut visiting, &mut order);
        }
        Ok(order)
    }
}

fn visit(
    file: &str,
    by_file: &HashMap<&str, &Vec<String>>,
    visiting: &mut Vec<String>,
    order: &mut Vec<String>,
) {
    if order.iter().any(|done| done == file) || visiting.iter().any(|open| open == file) {
        return;
    }
    visiting.push(file.to_owned());
    if let Some(deps) = by_file.get(file) {
        for dep in deps.iter() {
            visit(dep, by_file, visiting, order);
        }
    }
    visiting.pop();
    order.push(file.to_owned());
}

/// `kernel/drivers/net/usb/cdc_ether.ko.xz` -> `cdc_ether`.
pub fn module_name(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    let stem = base.split_once(".ko").map_or(base, |(stem, _)| stem);
    normalize(stem)
}

/// The kernel treats `-` and `_` in module names as the same character.
fn normalize(name: &str) -> String {
    name.trim().replace('-', "_")
}

/// Names in a boot list or modules.builtin-style file, without comments and blanks.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(|line| line.split_ascii_whitespace().next().unwrap_or(line).to_owned())
        .collect()
}

/// Outcome of loading a list of modules.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub loaded: Vec<String>,
    pub failed: Vec<Pid1Error>,
}

/// Loads the named modules and their dependencies from /lib/modules/<running release>.
/// Built-in and already-loaded modules count as loaded; one failure does not stop the rest.
pub fn load(names: &[String]) -> LoadReport {
    let mut report = LoadReport::default();
    let release = rustix::system::uname().release().to_string_lossy().into_owned();
    let dir = PathBuf::from("/lib/modules").join(&release);
    let index = match std::fs::read_to_string(dir.join("modules.dep")) {
        Ok(text) => ModuleIndex::parse(&text),
        Err(err) => {
            report.failed.push(Pid1Error::new(format!("read {}/modules.dep", dir.display()), err));
            return report;
        }
    };
    let builtin: Vec<String> = std::fs::read_to_string(dir.join("modules.builtin"))
        .map(|text| parse_list(&text).iter().map(|file| module_name(file)).collect())
        .unwrap_or_default();
    let mut wanted = Vec::new();
    for name in names {
        if index.contains(name) {
            wanted.push(name.as_str());
        } else if builtin.contains(&normalize(name)) {
            report.loaded.push(name.clone());
        } else {
            report.failed.push(Pid1Error::other(format!("load module {name}"), "not in modules.dep"));
        }
    }
    let Ok(order) = index.load_order(&wanted) else { return report };
    for file in order {
        let started = std::time::Instant::now();
        match load_file(&dir.join(&file)) {
            Ok(()) => report.loaded.push(module_name(&file)),
            Err(err) => report.failed.push(err),
        }
        // Boot time is mostly module loading: name the slow ones.
        let took = started.elapsed();
        if took >= SLOW_LOAD {
            log::info!("module {} took {} ms", module_name(&file), took.as_millis());
        }
    }
    report
}

/// Loads one module file; "already loaded" is success.
pub fn load_file(path: &Path) -> Result<(), Pid1Error> {
    let what = || format!("load module {}", path.display());
    let file = File::open(path).context(what)?;
    let compressed = [".xz", ".gz", ".zst"].iter().any(|ext| path.to_string_lossy().ends_with(ext));
    let flags = if compressed { MODULE_INIT_COMPRESSED_FILE } else { 0 };
    match rustix::system::finit_module(&file, c"", flags) {
        Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
        Err(err) => Err(Pid1Error::new(what(), err)),
    }
}

/// Loads the modules of a list file, logging the outcome.
pub fn load_list(list: &str) {
    let names = read_list(list);
    if names.is_empty() {
        return;
    }
    let report = load(&names);
    for failure in &report.failed {
        log::error!("{failure}");
    }
    log::info!("modules loaded from {list}: {}", report.loaded.join(" "));
}

/// Lowers the calling thread's priority. Module loading runs in the loading thread's
/// context in the kernel: at a lower priority it leaves the single core to the server and
/// the network coming up. On Linux, PRIO_PROCESS with 0 means the calling thread only.
pub fn lower_thread_priority() {
    // SAFETY: plain syscall on the calling thread.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 10) };
}

/// Reads a boot list; a missing file is an empty list.
pub fn read_list(path: &str) -> Vec<String> {
    std::fs::read_to_string(path).map(|text| parse_list(&text)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Trimmed from depmod's output for Debian's 6.12 rpi kernel (depmod lists dependencies
    // last-needed-first).
    const DEP: &str = "\
kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko.xz kernel/fs/mbcache.ko.xz kernel/fs/jbd2/jbd2.ko.xz
kernel/lib/crc16.ko.xz:
kernel/fs/mbcache.ko.xz:
kernel/fs/jbd2/jbd2.ko.xz:
kernel/fs/fat/vfat.ko.xz: kernel/fs/fat/fat.ko.xz
kernel/fs/fat/fat.ko.xz:
kernel/drivers/net/usb/cdc_ether.ko.xz: kernel/drivers/net/usb/usbnet.ko.xz kernel/drivers/net/mii.ko.xz
kernel/drivers/net/usb/usbnet.ko.xz: kernel/drivers/net/mii.ko.xz
kernel/drivers/net/mii.ko.xz:
kernel/drivers/staging/vc04_services/bcm2835-camera/bcm2835-v4l2.ko.xz: kernel/drivers/staging/vc04_services/vchiq-mmal/bcm2835-mmal-vchiq.ko.xz kernel/drivers/staging/vc04_services/vchiq.ko.xz
kernel/drivers/staging/vc04_services/vchiq-mmal/bcm2835-mmal-vchiq.ko.xz: kernel/drivers/staging/vc04_services/vchiq.ko.xz
kernel/drivers/staging/vc04_services/vchiq.ko.xz:
";

    fn names(order: &[String]) -> Vec<String> {
        order.iter().map(|file| module_name(file)).collect()
    }

    #[test]
    fn dependencies_come_first_and_once() {
        let index = ModuleIndex::parse(DEP);
        let order = index.load_order(&["cdc_ether", "usbnet", "vfat"]).expect("known modules");
        assert_eq!(names(&order), ["mii", "usbnet", "cdc_ether", "fat", "vfat"]);
    }

    #[test]
    fn dashes_and_underscores_are_the_same_name() {
        let index = ModuleIndex::parse(DEP);
        let order = index.load_order(&["bcm2835_v4l2"]).expect("known");
        assert_eq!(names(&order), ["vchiq", "bcm2835_mmal_vchiq", "bcm2835_v4l2"]);
        assert!(index.contains("bcm2835-mmal-vchiq"));
    }

    #[test]
    fn transitive_dependencies_follow_their_own_lines() {
        // A trimmed file where ext4 lists only jbd2, and jbd2 names crc16 itself.
        let index = ModuleIndex::parse("a/ext4.ko: a/jbd2.ko\na/jbd2.ko: a/crc16.ko\na/crc16.ko:\n");
        assert_eq!(names(&index.load_order(&["ext4"]).expect("known")), ["crc16", "jbd2", "ext4"]);
    }

    #[test]
    fn cycles_do_not_loop() {
        let index = ModuleIndex::parse("a.ko: b.ko\nb.ko: a.ko\n");
        assert_eq!(names(&index.load_order(&["a"]).expect("known")), ["b", "a"]);
    }

    #[test]
    fn unknown_modules_are_reported() {
        let index = ModuleIndex::parse(DEP);
        assert_eq!(index.load_order(&["nope"]), Err(ResolveError::Unknown("nope".into())));
    }

    #[test]
    fn names_from_files() {
        assert_eq!(module_name("kernel/drivers/net/usb/cdc_ether.ko.xz"), "cdc_ether");
        assert_eq!(module_name("kernel/fs/fat/vfat.ko"), "vfat");
        assert_eq!(module_name("crc32c-generic.ko.zst"), "crc32c_generic");
    }

    #[test]
    fn lists_skip_comments_and_options() {
        let list = "# storage\nvfat\n\n ext4  # journal\ncdc_ether option=1\n";
        assert_eq!(parse_list(list), ["vfat", "ext4", "cdc_ether"]);
    }
}
