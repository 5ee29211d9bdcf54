//! Interface configuration with the classic socket ioctls (no netlink, no `ip` binary):
//! link up, IPv4 address and netmask, default route, MAC address.

use crate::net::error::NetError;
use std::io;
use std::net::Ipv4Addr;
use std::net::UdpSocket;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// The kernel's `struct rtentry` (linux/route.h); libc only defines it for some libcs.
#[repr(C)]
struct RtEntry {
    rt_pad1: libc::c_ulong,
    rt_dst: libc::sockaddr,
    rt_gateway: libc::sockaddr,
    rt_genmask: libc::sockaddr,
    rt_flags: libc::c_ushort,
    rt_pad2: libc::c_short,
    rt_pad3: libc::c_ulong,
    rt_pad4: *mut libc::c_void,
    rt_metric: libc::c_short,
    rt_dev: *mut libc::c_char,
    rt_mtu: libc::c_ulong,
    rt_window: libc::c_ulong,
    rt_irtt: libc::c_ushort,
}

fn control_socket() -> io::Result<OwnedFd> {
    rustix::net::socket(rustix::net::AddressFamily::INET, rustix::net::SocketType::DGRAM, None)
        .map_err(Into::into)
}

fn request_for(name: &str) -> io::Result<libc::ifreq> {
    // SAFETY: ifreq is plain data; all-zero is a valid value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() >= request.ifr_name.len() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad interface name"));
    }
    for (slot, byte) in request.ifr_name.iter_mut().zip(bytes) {
        *slot = *byte as libc::c_char;
    }
    Ok(request)
}

fn ioctl(socket: &OwnedFd, request: libc::c_ulong, argument: *mut libc::c_void) -> io::Result<()> {
    // SAFETY: callers pass the structure the request expects.
    if unsafe { libc::ioctl(socket.as_raw_fd(), request as _, argument) } < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

fn sockaddr_of(address: Ipv4Addr) -> libc::sockaddr {
    let inet = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr { s_addr: u32::from(address).to_be() },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in and sockaddr have the same size; the kernel reads it by family.
    unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(inet) }
}

/// Sets IFF_UP on the interface.
pub fn set_up(name: &str) -> Result<(), NetError> {
    let what = || format!("bring {name} up");
    let run = || -> io::Result<()> {
        let socket = control_socket()?;
        let mut request = request_for(name)?;
        ioctl(&socket, libc::SIOCGIFFLAGS, (&mut request as *mut libc::ifreq).cast())?;
        // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
        unsafe { request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
        ioctl(&socket, libc::SIOCSIFFLAGS, (&mut request as *mut libc::ifreq).cast())
    };
    run().map_err(|err| NetError::new(what(), err))
}

/// How long `bring_up` waits for an interface whose sysfs entry exists but which the kernel
/// does not know by name yet.
pub const REGISTER_WAIT: Duration = Duration::from_secs(10);

/// Sets IFF_UP on an interface that has just appeared. The kernel creates
/// `/sys/class/net/<name>` before it lists the device by name, so for a moment after the
/// entry appears (a USB adapter seen while its driver is still registering) the ioctl says
/// "No such device". That answer is retried for up to `limit`; any other error is returned
/// at once.
pub fn bring_up(name: &str, limit: Duration) -> Result<(), NetError> {
    let started = Instant::now();
    loop {
        match set_up(name) {
            Err(err) if err.source.raw_os_error() == Some(libc::ENODEV) && started.elapsed() < limit => {
                std::thread::sleep(Duration::from_millis(50));
            }
            result => return result,
        }
    }
}

/// Sets the interface's IPv4 address and netmask (the kernel adds the subnet route).
pub fn set_address(name: &str, address: Ipv4Addr, prefix: u8) -> Result<(), NetError> {
    let what = || format!("set {address}/{prefix} on {name}");
    let run = || -> io::Result<()> {
        let socket = control_socket()?;
        let mut request = request_for(name)?;
        request.ifr_ifru.ifru_addr = sockaddr_of(address);
        ioctl(&socket, libc::SIOCSIFADDR, (&mut request as *mut libc::ifreq).cast())?;
        request.ifr_ifru.ifru_netmask = sockaddr_of(netmask(prefix));
        ioctl(&socket, libc::SIOCSIFNETMASK, (&mut request as *mut libc::ifreq).cast())
    };
    run().map_err(|err| NetError::new(what(), err))
}

/// Removes the interface's IPv4 address (the kernel drops an address of 0.0.0.0 rather
/// than setting it), with the subnet route that came with it.
pub fn clear_address(name: &str) -> Result<(), NetError> {
    let run = || -> io::Result<()> {
        let socket = control_socket()?;
        let mut request = request_for(name)?;
        request.ifr_ifru.ifru_addr = sockaddr_of(Ipv4Addr::UNSPECIFIED);
        ioctl(&socket, libc::SIOCSIFADDR, (&mut request as *mut libc::ifreq).cast())
    };
    run().map_err(|err| NetError::new(format!("remove the address of {name}"), err))
}

/// True when the link has carrier: for a USB gadget interface, a computer has chosen the
/// configuration it belongs to.
pub fn has_carrier(name: &str) -> bool {
    std::fs::read_to_string(format!("/sys/class/net/{name}/carrier")).is_ok_and(|text| text.trim() == "1")
}

/// Adds `default via gateway`; an existing identical route is fine.
pub fn add_default_route(gateway: Ipv4Addr) -> Result<(), NetError> {
    let run = || -> io::Result<()> {
        let socket = control_socket()?;
        // SAFETY: RtEntry is plain data (null pointers, zero numbers).
        let mut route: RtEntry = unsafe { std::mem::zeroed() };
        route.rt_dst = sockaddr_of(Ipv4Addr::UNSPECIFIED);
        route.rt_genmask = sockaddr_of(Ipv4Addr::UNSPECIFIED);
        route.rt_gateway = sockaddr_of(gateway);
        route.rt_flags = (libc::RTF_UP | libc::RTF_GATEWAY) as libc::c_ushort;
        match ioctl(&socket, libc::SIOCADDRT, (&mut route as *mut RtEntry).cast()) {
            Err(err) if err.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            other => other,
        }
    };
    run().map_err(|err| NetError::new(format!("add default route via {gateway}"), err))
}

/// Makes a socket send and receive only through `interface` (SO_BINDTODEVICE).
pub fn bind_to_device(socket: &UdpSocket, interface: &str) -> io::Result<()> {
    let name = interface.as_bytes();
    // SAFETY: the option value is the name's bytes with their length.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_BINDTODEVICE,
            name.as_ptr().cast(),
            name.len() as libc::socklen_t,
        )
    };
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// The interface's hardware address (for DHCP's chaddr).
pub fn mac_address(name: &str) -> Result<[u8; 6], NetError> {
    let path = format!("/sys/class/net/{name}/address");
    let text = std::fs::read_to_string(&path).map_err(|err| NetError::new(format!("read {path}"), err))?;
    parse_mac(text.trim()).ok_or_else(|| NetError::other(format!("read {path}"), format!("bad MAC {text:?}")))
}

pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut mac {
        *byte = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

pub fn netmask(prefix: u8) -> Ipv4Addr {
    let prefix = u32::from(prefix.min(32));
    Ipv4Addr::from(u32::MAX.checked_shl(32 - prefix).unwrap_or(0))
}

/// The prefix length of a netmask (counting its leading ones).
pub fn prefix_of(mask: Ipv4Addr) -> u8 {
    u32::from(mask).leading_ones() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netmasks_and_prefixes() {
        assert_eq!(netmask(24), Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(netmask(0), Ipv4Addr::UNSPECIFIED);
        assert_eq!(netmask(32), Ipv4Addr::BROADCAST);
        assert_eq!(prefix_of(Ipv4Addr::new(255, 255, 240, 0)), 20);
    }

    #[test]
    fn macs() {
        assert_eq!(parse_mac("52:54:00:12:34:56"), Some([0x52, 0x54, 0, 0x12, 0x34, 0x56]));
        assert_eq!(parse_mac("52:54:00:12:34"), None);
        assert_eq!(parse_mac("52:54:00:12:34:56:78"), None);
        assert_eq!(parse_mac("zz:54:00:12:34:56"), None);
    }

    #[test]
    fn bring_up_waits_for_a_missing_interface_then_names_it() {
        let limit = Duration::from_millis(200);
        let started = Instant::now();
        let err = bring_up("zc-nosuch0", limit).expect_err("no such interface");
        assert!(started.elapsed() >= limit, "gave up before the limit");
        assert_eq!(err.source.raw_os_error(), Some(libc::ENODEV));
        assert!(err.to_string().starts_with("bring zc-nosuch0 up: "), "{err}");
    }

    #[test]
    fn rtentry_has_the_kernel_size() {
        // sizeof(struct rtentry) from linux/route.h: 84 bytes with 32-bit longs (the Zero),
        // 120 with 64-bit ones (the host running the tests).
        let word = std::mem::size_of::<libc::c_ulong>();
        let expected = if word == 4 { 84 } else { 120 };
        assert_eq!(std::mem::size_of::<RtEntry>(), expected);
    }
}
