//! The interfaces mDNS runs on: every one that is up, multicast-capable, not loopback and
//! has an IPv4 address, with one socket each. A socket bound to its device hears only that
//! link, so each answer carries the address of the interface the question came in on (a
//! laptop on the USB cable gets 192.168.7.1, a phone on Wi-Fi the Wi-Fi address).

use crate::net::link::bind_to_device;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;

pub const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
pub const PORT: u16 = 5353;
/// A board has three or four links; more are ignored (bounded memory).
pub const MAX_INTERFACES: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub name: String,
    pub v4: Ipv4Addr,
    pub v6: Vec<Ipv6Addr>,
}

/// The interfaces to answer on, now (getifaddrs: netlink, no NSS, works in static glibc).
pub fn scan() -> io::Result<Vec<Found>> {
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below with freeifaddrs.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut found: Vec<Found> = Vec::new();
    let mut v6: Vec<(String, Ipv6Addr)> = Vec::new();
    let mut entry = list;
    while !entry.is_null() {
        // SAFETY: entries of the list getifaddrs returned, valid until freeifaddrs.
        let item = unsafe { &*entry };
        entry = item.ifa_next;
        let flags = item.ifa_flags as libc::c_int;
        let wanted = libc::IFF_UP | libc::IFF_MULTICAST;
        if item.ifa_addr.is_null() || flags & wanted != wanted || flags & libc::IFF_LOOPBACK != 0 {
            continue;
        }
        // SAFETY: ifa_name is a NUL-terminated string.
        let name = unsafe { std::ffi::CStr::from_ptr(item.ifa_name) }.to_string_lossy().into_owned();
        // SAFETY: the family says which sockaddr this is.
        match i32::from(unsafe { (*item.ifa_addr).sa_family }) {
            libc::AF_INET => {
                // SAFETY: AF_INET addresses are sockaddr_in.
                let inet = unsafe { &*(item.ifa_addr as *const libc::sockaddr_in) };
                let v4 = Ipv4Addr::from(u32::from_be(inet.sin_addr.s_addr));
                if found.len() < MAX_INTERFACES && !found.iter().any(|f| f.name == name) {
                    found.push(Found { name, v4, v6: Vec::new() });
                }
            }
            libc::AF_INET6 => {
                // SAFETY: AF_INET6 addresses are sockaddr_in6.
                let inet6 = unsafe { &*(item.ifa_addr as *const libc::sockaddr_in6) };
                v6.push((name, Ipv6Addr::from(inet6.sin6_addr.s6_addr)));
            }
            _ => {}
        }
    }
    // SAFETY: the list came from getifaddrs and is not used after this.
    unsafe { libc::freeifaddrs(list) };
    for (name, address) in v6 {
        if let Some(interface) = found.iter_mut().find(|f| f.name == name) {
            if interface.v6.len() < 4 {
                interface.v6.push(address);
            }
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// A socket on port 5353 that hears and speaks only on `interface`.
pub fn open(interface: &Found) -> io::Result<UdpSocket> {
    use rustix::net::{sockopt, AddressFamily, SocketType};
    let socket = rustix::net::socket(AddressFamily::INET, SocketType::DGRAM, None)?;
    // Others on the same host (avahi on a PC running the tests) may hold 5353 too.
    sockopt::set_socket_reuseaddr(&socket, true)?;
    sockopt::set_socket_reuseport(&socket, true)?;
    let socket = UdpSocket::from(socket);
    bind_to_device(&socket, &interface.name)?;
    rustix::net::bind(&socket, &SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, PORT))?;
    socket.join_multicast_v4(&GROUP, &interface.v4)?;
    socket.set_multicast_loop_v4(false)?;
    // RFC 6762 section 11: 255, so receivers can drop packets from off the link.
    socket.set_multicast_ttl_v4(255)?;
    set_multicast_if(&socket, interface.v4)?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

fn set_multicast_if(socket: &UdpSocket, address: Ipv4Addr) -> io::Result<()> {
    let value = libc::in_addr { s_addr: u32::from(address).to_be() };
    // SAFETY: IP_MULTICAST_IF takes an in_addr of that size.
    let result = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            (&value as *const libc::in_addr).cast(),
            std::mem::size_of::<libc::in_addr>() as libc::socklen_t,
        )
    };
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scan_lists_no_loopback() {
        let found = super::scan().expect("getifaddrs works");
        assert!(found.iter().all(|f| f.name != "lo" && !f.v4.is_loopback()), "{found:?}");
        assert!(found.len() <= super::MAX_INTERFACES);
    }
}
