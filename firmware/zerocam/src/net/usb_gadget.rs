//! The USB Ethernet gadget on the OTG port, built in configfs (libcomposite), so a computer
//! plugged into the Zero's "USB" port sees a network card and needs no driver:
//!
//! - Configuration 1: RNDIS, with Microsoft OS descriptors (compatible ID "RNDIS",
//!   sub-compatible "5162001"). Windows 10 and 11 read them and bind their built-in RNDIS
//!   driver without asking; Windows only ever looks at the first configuration.
//! - Configuration 2: CDC ECM. macOS and Linux have class drivers for it; Linux's
//!   configuration chooser skips a first configuration that is RNDIS when another exists
//!   (drivers/usb/core/generic.c), and macOS has no RNDIS driver, so both end up here. This
//!   is the layout of the kernel's own g_ether "RNDIS + ECM" build.
//!
//! Why not NCM alone: Windows 11 has an inbox NCM driver, but Windows 10 before 2004 has
//! none, and macOS support for NCM gadgets varies by version, while ECM has worked on every
//! macOS. NCM is faster, but the Zero's full-speed-sized MJPEG stream does not need it.
//!
//! Each function gets its own network interface on the board (usually usb0 and usb1); only
//! the one in the configuration the computer chose gets carrier. `usb_link` follows it.

use super::error::{Context, NetError};
use std::fs;
use std::path::{Path, PathBuf};

pub const CONFIGFS: &str = "/sys/kernel/config";
const GADGET_NAME: &str = "zerocam";
/// The Linux Foundation's IDs for a multifunction composite gadget (as g_ether uses).
const ID_VENDOR: &str = "0x1d6b";
const ID_PRODUCT: &str = "0x0104";
/// Windows asks for the OS descriptors with this vendor request code.
const MS_VENDOR_CODE: &str = "0xcd";

/// The built gadget: where it is and the board's interface of each function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gadget {
    pub udc: String,
    /// The RNDIS function's interface (Windows), then the ECM one (macOS, Linux).
    pub interfaces: Vec<String>,
}

/// Stable, locally administered MACs derived from the board's serial number, so a computer
/// sees the same network card every boot (Windows and macOS remember per-card settings).
/// Returns (board side, computer side) for function `index`.
pub fn mac_pair(serial: &str, index: u8) -> ([u8; 6], [u8; 6]) {
    // FNV-1a: any stable spread of the serial will do.
    let hash = serial.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let bytes = hash.to_be_bytes();
    let board = [0x02, bytes[0], bytes[1], bytes[2], bytes[3], index.wrapping_mul(2)];
    let computer = [0x06, bytes[0], bytes[1], bytes[2], bytes[3], index.wrapping_mul(2)];
    (board, computer)
}

pub fn format_mac(mac: &[u8; 6]) -> String {
    mac.iter().map(|byte| format!("{byte:02x}")).collect::<Vec<_>>().join(":")
}

/// The board's serial number (device tree on the Pi), or "0" when it has none.
pub fn board_serial() -> String {
    let from_tree = fs::read("/sys/firmware/devicetree/base/serial-number")
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).trim_end_matches('\0').trim().to_owned());
    from_tree.filter(|serial| !serial.is_empty()).unwrap_or_else(|| "0".into())
}

/// The UDC to bind to: `wanted`, or for "auto" the first one, real controllers before the
/// emulated dummy_udc. None while it has not appeared.
pub fn pick_udc(available: &[String], wanted: &str) -> Option<String> {
    if wanted != "auto" {
        return available.iter().find(|name| *name == wanted).cloned();
    }
    let mut sorted: Vec<&String> = available.iter().collect();
    sorted.sort_by_key(|name| (name.starts_with("dummy_udc"), name.as_str()));
    sorted.first().map(|name| (*name).clone())
}

pub fn list_udcs() -> Vec<String> {
    let Ok(entries) = fs::read_dir("/sys/class/udc") else { return Vec::new() };
    entries.filter_map(|entry| entry.ok()?.file_name().into_string().ok()).collect()
}

/// Mounts configfs if needed (PID 1 mounts only what everything needs).
pub fn mount_configfs() -> Result<(), NetError> {
    if Path::new(CONFIGFS).join("usb_gadget").is_dir() {
        return Ok(());
    }
    let what = || format!("mount configfs on {CONFIGFS}");
    rustix::mount::mount("configfs", CONFIGFS, "configfs", rustix::mount::MountFlags::empty(), None)
        .or_else(|err| if err == rustix::io::Errno::BUSY { Ok(()) } else { Err(err) })
        .context(what)?;
    if !Path::new(CONFIGFS).join("usb_gadget").is_dir() {
        return Err(NetError::other(what(), "no usb_gadget in configfs (is libcomposite loaded?)"));
    }
    Ok(())
}

/// Builds the gadget under `root` (configfs/usb_gadget) and binds it to `udc`.
/// An already-built zerocam gadget is reused as it is.
pub fn build(root: &Path, udc: &str, serial: &str) -> Result<Gadget, NetError> {
    let gadget = root.join(GADGET_NAME);
    let functions = [("rndis", "rndis.usb0"), ("ecm", "ecm.usb0")];
    if !gadget.is_dir() {
        create(&gadget, serial, &functions)?;
    }
    let bound = fs::read_to_string(gadget.join("UDC")).unwrap_or_default();
    if bound.trim().is_empty() {
        write(&gadget.join("UDC"), udc)?;
    }
    let interfaces = functions
        .iter()
        .map(|(_, function)| read(&gadget.join("functions").join(function).join("ifname")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Gadget { udc: udc.to_owned(), interfaces })
}

fn create(gadget: &Path, serial: &str, functions: &[(&str, &str)]) -> Result<(), NetError> {
    mkdir(gadget)?;
    for (file, value) in [
        ("idVendor", ID_VENDOR),
        ("idProduct", ID_PRODUCT),
        ("bcdDevice", "0x0100"),
        ("bcdUSB", "0x0200"),
        // Miscellaneous / common class / interface association: RNDIS uses an IAD.
        ("bDeviceClass", "0xef"),
        ("bDeviceSubClass", "0x02"),
        ("bDeviceProtocol", "0x01"),
    ] {
        write(&gadget.join(file), value)?;
    }
    let strings = gadget.join("strings/0x409");
    mkdir(&strings)?;
    write(&strings.join("manufacturer"), "zerocam")?;
    write(&strings.join("product"), "zerocam camera (USB Ethernet)")?;
    write(&strings.join("serialnumber"), serial)?;
    write(&gadget.join("os_desc/use"), "1")?;
    write(&gadget.join("os_desc/b_vendor_code"), MS_VENDOR_CODE)?;
    write(&gadget.join("os_desc/qw_sign"), "MSFT100")?;
    for (index, (kind, function)) in functions.iter().enumerate() {
        let dir = gadget.join("functions").join(function);
        mkdir(&dir)?;
        let (board, computer) = mac_pair(serial, index as u8);
        write(&dir.join("dev_addr"), &format_mac(&board))?;
        write(&dir.join("host_addr"), &format_mac(&computer))?;
        if *kind == "rndis" {
            let os = dir.join("os_desc/interface.rndis");
            write(&os.join("compatible_id"), "RNDIS")?;
            write(&os.join("sub_compatible_id"), "5162001")?;
        }
        let config = gadget.join(format!("configs/c.{}", index + 1));
        mkdir(&config)?;
        write(&config.join("MaxPower"), "250")?;
        let label = config.join("strings/0x409");
        mkdir(&label)?;
        write(&label.join("configuration"), if *kind == "rndis" { "RNDIS" } else { "CDC ECM" })?;
        symlink(&dir, &config.join(function))?;
    }
    // Windows reads the OS descriptors of the configuration linked here.
    symlink(&gadget.join("configs/c.1"), &gadget.join("os_desc/c.1"))
}

fn mkdir(path: &Path) -> Result<(), NetError> {
    match fs::create_dir(path) {
        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
            Err(NetError::new(format!("create {}", path.display()), err))
        }
        _ => Ok(()),
    }
}

fn write(path: &Path, value: &str) -> Result<(), NetError> {
    fs::write(path, value).context(|| format!("write {value:?} to {}", path.display()))
}

fn read(path: &PathBuf) -> Result<String, NetError> {
    fs::read_to_string(path).map(|text| text.trim().to_owned()).context(|| format!("read {}", path.display()))
}

fn symlink(target: &Path, link: &Path) -> Result<(), NetError> {
    match std::os::unix::fs::symlink(target, link) {
        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => {
            Err(NetError::new(format!("link {} into {}", target.display(), link.display()), err))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn udc_choice_prefers_real_controllers() {
        let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect::<Vec<_>>();
        assert_eq!(
            pick_udc(&names(&["dummy_udc.0", "20980000.usb"]), "auto").as_deref(),
            Some("20980000.usb")
        );
        assert_eq!(pick_udc(&names(&["dummy_udc.0"]), "auto").as_deref(), Some("dummy_udc.0"));
        assert_eq!(
            pick_udc(&names(&["dummy_udc.0", "20980000.usb"]), "dummy_udc.0").as_deref(),
            Some("dummy_udc.0")
        );
        assert_eq!(pick_udc(&names(&["20980000.usb"]), "dummy_udc.0"), None, "wait for the one named");
        assert_eq!(pick_udc(&[], "auto"), None);
    }

    #[test]
    fn macs_are_stable_local_and_distinct() {
        let (board, computer) = mac_pair("00000000deadbeef", 0);
        assert_eq!(mac_pair("00000000deadbeef", 0), (board, computer), "same every boot");
        assert_ne!(board, computer);
        assert_ne!(mac_pair("00000000deadbeef", 1).0, board, "one per function");
        assert_ne!(mac_pair("00000000cafef00d", 0).0, board, "one per board");
        for mac in [board, computer] {
            assert_eq!(mac[0] & 0x03, 0x02, "locally administered unicast: {mac:?}");
        }
        assert_eq!(format_mac(&[0x02, 0xab, 0, 1, 2, 3]), "02:ab:00:01:02:03");
    }

    /// configfs stands in as a plain directory: the tree and the files a real one would get.
    #[test]
    fn builds_the_rndis_and_ecm_tree() {
        let root = std::env::temp_dir().join(format!("zerocam-gadget-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let gadget = root.join(GADGET_NAME);
        // In configfs the kernel creates these; here the test does, including ifname.
        for function in ["rndis.usb0", "ecm.usb0"] {
            fs::create_dir_all(gadget.join("functions").join(function)).expect("mkdir");
        }
        fs::create_dir_all(gadget.join("functions/rndis.usb0/os_desc/interface.rndis")).expect("mkdir");
        for dir in ["os_desc", "strings", "configs/c.1/strings", "configs/c.2/strings"] {
            fs::create_dir_all(gadget.join(dir)).expect("mkdir");
        }
        fs::write(gadget.join("functions/rndis.usb0/ifname"), "usb0\n").expect("write");
        fs::write(gadget.join("functions/ecm.usb0/ifname"), "usb1\n").expect("write");
        // The gadget directory exists now, so build() would reuse it: build its tree first.
        create(&gadget, "1234", &[("rndis", "rndis.usb0"), ("ecm", "ecm.usb0")]).expect("create");
        let built = build(&root, "dummy_udc.0", "1234").expect("build");
        assert_eq!(built.interfaces, ["usb0", "usb1"]);
        let read = |path: &str| fs::read_to_string(gadget.join(path)).expect(path);
        assert_eq!(read("UDC"), "dummy_udc.0");
        assert_eq!(read("idVendor"), ID_VENDOR);
        assert_eq!(read("os_desc/qw_sign"), "MSFT100");
        assert_eq!(read("functions/rndis.usb0/os_desc/interface.rndis/compatible_id"), "RNDIS");
        assert_eq!(read("configs/c.2/strings/0x409/configuration"), "CDC ECM");
        assert!(gadget.join("configs/c.1/rndis.usb0").is_dir(), "function linked into config 1");
        assert!(gadget.join("configs/c.2/ecm.usb0").is_dir(), "function linked into config 2");
        assert!(gadget.join("os_desc/c.1").is_dir());
        fs::remove_dir_all(&root).expect("clean up");
    }
}
