//! The camera's USB descriptors: a UVC 1.1 device with one video function (a camera input
//! terminal wired to a streaming output terminal) and one MJPEG format at one size and rate,
//! streamed over a bulk endpoint. The kernel's UVC gadget function streams isochronously
//! only, which neither looped-back device controller (dummy_hcd, usbip-vudc) can carry;
//! bulk streaming is as much UVC (uvcvideo takes it for any streaming interface with one
//! alternate setting) and dummy_hcd carries it.

/// The bulk IN endpoint's address: dummy_udc's "ep1in-bulk".
pub const STREAM_ENDPOINT: u8 = 0x81;
pub const CONTROL_INTERFACE: u8 = 0;
pub const STREAMING_INTERFACE: u8 = 1;

pub struct Video {
    pub width: u16,
    pub height: u16,
    pub fps: u32,
    pub max_frame: u32,
}

const CS_INTERFACE: u8 = 0x24;
const CC_VIDEO: u8 = 0x0e;

fn le16(value: u16) -> [u8; 2] {
    value.to_le_bytes()
}

fn le32(value: u32) -> [u8; 4] {
    value.to_le_bytes()
}

pub fn device() -> Vec<u8> {
    let mut d = vec![18, 1];
    d.extend(le16(0x0200)); // bcdUSB
    d.extend([0xef, 0x02, 0x01]); // miscellaneous class, interface association
    d.push(64); // bMaxPacketSize0
    d.extend(le16(0x1d6b)); // Linux Foundation
    d.extend(le16(0x0102)); // its webcam gadget id
    d.extend(le16(0x0100)); // bcdDevice
    d.extend([1, 2, 3, 1]); // manufacturer, product, serial strings; one configuration
    d
}

/// The configuration for one bus speed (`max_packet`: 64 full speed, 512 high speed).
pub fn configuration(video: &Video, max_packet: u16) -> Vec<u8> {
    let interval = 10_000_000 / video.fps.max(1); // 100 ns units
    let bitrate = video.max_frame.saturating_mul(8).saturating_mul(video.fps);

    let mut control = Vec::new();
    control.extend([13, CS_INTERFACE, 0x01]); // VC_HEADER
    control.extend(le16(0x0110)); // bcdUVC
    control.extend([0, 0]); // wTotalLength, filled in below
    control.extend(le32(48_000_000)); // dwClockFrequency
    control.extend([1, STREAMING_INTERFACE]);
    control.extend([18, CS_INTERFACE, 0x02, 1]); // VC_INPUT_TERMINAL 1
    control.extend(le16(0x0201)); // ITT_CAMERA
    control.extend([0, 0, 0, 0, 0, 0, 0, 0]); // no associated terminal, no string, no optics
    control.extend([3, 0, 0, 0]); // bControlSize 3: no camera controls
    control.extend([9, CS_INTERFACE, 0x03, 2]); // VC_OUTPUT_TERMINAL 2
    control.extend(le16(0x0101)); // TT_STREAMING
    control.extend([0, 1, 0]); // from terminal 1
    let length = le16(control.len() as u16);
    control[5..7].copy_from_slice(&length);

    let mut streaming = Vec::new();
    streaming.extend([14, CS_INTERFACE, 0x01, 1]); // VS_INPUT_HEADER, one format
    streaming.extend([0, 0]); // wTotalLength, filled in below
    streaming.extend([STREAM_ENDPOINT, 0, 2, 0, 0, 0, 1, 0]); // to terminal 2; no still, no trigger
    streaming.extend([11, CS_INTERFACE, 0x06, 1, 1, 0x01, 1, 0, 0, 0, 0]); // VS_FORMAT_MJPEG 1
    streaming.extend([30, CS_INTERFACE, 0x07, 1, 0]); // VS_FRAME_MJPEG 1
    streaming.extend(le16(video.width));
    streaming.extend(le16(video.height));
    streaming.extend(le32(bitrate));
    streaming.extend(le32(bitrate));
    streaming.extend(le32(video.max_frame));
    streaming.extend(le32(interval));
    streaming.push(1);
    streaming.extend(le32(interval));
    streaming.extend([6, CS_INTERFACE, 0x0d, 1, 1, 4]); // VS_COLORFORMAT: BT.709, sRGB, SMPTE 170M
    let length = le16(streaming.len() as u16);
    streaming[4..6].copy_from_slice(&length);

    let mut c = vec![9, 2, 0, 0, 2, 1, 0, 0x80, 50]; // 2 interfaces, bus-powered, 100 mA
    c.extend([8, 0x0b, CONTROL_INTERFACE, 2, CC_VIDEO, 0x03, 0, 0]); // interface association
    c.extend([9, 4, CONTROL_INTERFACE, 0, 0, CC_VIDEO, 0x01, 0, 0]); // VideoControl
    c.extend(control);
    c.extend([9, 4, STREAMING_INTERFACE, 0, 1, CC_VIDEO, 0x02, 0, 0]); // VideoStreaming
    c.extend(streaming);
    c.extend(endpoint(max_packet));
    let total = le16(c.len() as u16);
    c[2..4].copy_from_slice(&total);
    c
}

pub fn endpoint(max_packet: u16) -> [u8; 7] {
    let size = le16(max_packet);
    [7, 5, STREAM_ENDPOINT, 0x02, size[0], size[1], 0]
}

/// String descriptor `index` (0: the language list).
pub fn string(index: u8) -> Option<Vec<u8>> {
    let text = match index {
        0 => return Some(vec![4, 3, 0x09, 0x04]), // US English
        1 => "zerocam CI",
        2 => "zerocam UVC test camera",
        3 => "zc-uvc-0001",
        _ => return None,
    };
    let mut d = vec![0, 3];
    for unit in text.encode_utf16() {
        d.extend(unit.to_le_bytes());
    }
    d[0] = d.len() as u8;
    Some(d)
}
