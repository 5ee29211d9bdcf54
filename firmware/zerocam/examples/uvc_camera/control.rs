//! Answers to the host's control requests: the standard ones the kernel leaves to the device
//! (strings, interface selection), the streaming interface's probe and commit negotiation
//! (one format, one frame size, one rate, so every probe settles on it), and plausible
//! answers for the control interface, which has no controls behind it.

use crate::descriptors;

/// UVC 1.1's probe/commit structure is 34 bytes (1.0's 26 are a prefix of it).
const PROBE_LEN: usize = 34;

// UVC class requests (UVC 1.5, table A-8).
const SET_CUR: u8 = 0x01;
const GET_CUR: u8 = 0x81;
const GET_MIN: u8 = 0x82;
const GET_MAX: u8 = 0x83;
const GET_RES: u8 = 0x84;
const GET_LEN: u8 = 0x85;
const GET_INFO: u8 = 0x86;
const GET_DEF: u8 = 0x87;
// Video streaming interface control selectors.
const VS_PROBE_CONTROL: u8 = 0x01;
const VS_COMMIT_CONTROL: u8 = 0x02;
// Standard requests.
const GET_DESCRIPTOR: u8 = 0x06;
const SET_CONFIGURATION: u8 = 0x09;
const SET_INTERFACE: u8 = 0x0b;

/// What to do with a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// IN: send these bytes (at most wLength of them).
    Send(Vec<u8>),
    /// OUT: take the data stage (0: only the status stage) and hand it to `data`.
    Receive(usize),
    Stall,
}

/// Something the main loop must act on, beyond answering.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    Configured,
    Committed,
}

pub struct Negotiation {
    interval: u32,
    max_frame: u32,
    max_payload: u32,
    /// The control selector of a SET_CUR waiting for its data stage.
    pending_set: Option<u8>,
}

impl Negotiation {
    pub fn new(fps: u32, max_frame: u32, max_payload: u32) -> Negotiation {
        Negotiation { interval: 10_000_000 / fps.max(1), max_frame, max_payload, pending_set: None }
    }

    /// The one setting every probe settles on.
    fn probe(&self) -> Vec<u8> {
        let mut probe = vec![0u8; PROBE_LEN];
        probe[0..2].copy_from_slice(&1u16.to_le_bytes()); // bmHint: frame interval fixed
        probe[2] = 1; // bFormatIndex
        probe[3] = 1; // bFrameIndex
        probe[4..8].copy_from_slice(&self.interval.to_le_bytes());
        probe[18..22].copy_from_slice(&self.max_frame.to_le_bytes());
        probe[22..26].copy_from_slice(&self.max_payload.to_le_bytes());
        probe[26..30].copy_from_slice(&48_000_000u32.to_le_bytes()); // dwClockFrequency
        probe[30] = 3; // bmFramingInfo: FID and EOF bits used
        probe[31..34].copy_from_slice(&[1, 1, 1]); // payload format versions
        probe
    }

    pub fn setup(&mut self, request: &[u8; 8]) -> (Answer, Effect) {
        let kind = request[0] & 0x60; // standard, class, vendor
        let code = request[1];
        let value_low = request[2];
        let selector = request[3]; // wValue's high byte
        let interface = request[4]; // wIndex's low byte
        let length = usize::from(u16::from_le_bytes([request[6], request[7]]));
        let send = |bytes: Vec<u8>| Answer::Send(bytes.into_iter().take(length).collect());
        if kind == 0 {
            return match code {
                GET_DESCRIPTOR if selector == 3 => descriptors::string(value_low)
                    .map_or((Answer::Stall, Effect::None), |d| (send(d), Effect::None)),
                SET_CONFIGURATION => {
                    (Answer::Receive(0), if value_low != 0 { Effect::Configured } else { Effect::None })
                }
                SET_INTERFACE => (Answer::Receive(0), Effect::None),
                _ => (Answer::Stall, Effect::None),
            };
        }
        if kind != 0x20 {
            return (Answer::Stall, Effect::None);
        }
        if interface != descriptors::STREAMING_INTERFACE {
            // The camera terminal: zeros for every value, "get and set" for GET_INFO, and a
            // SET_CUR's data taken and ignored.
            let answer = match code {
                GET_INFO => send(vec![3]),
                SET_CUR => Answer::Receive(length),
                GET_CUR | GET_MIN | GET_MAX | GET_DEF | GET_RES | GET_LEN => send(vec![0; length]),
                _ => Answer::Stall,
            };
            return (answer, Effect::None);
        }
        if !matches!(selector, VS_PROBE_CONTROL | VS_COMMIT_CONTROL) {
            return (Answer::Stall, Effect::None);
        }
        let answer = match code {
            SET_CUR => {
                self.pending_set = Some(selector);
                Answer::Receive(length)
            }
            GET_CUR | GET_MIN | GET_MAX | GET_DEF => send(self.probe()),
            GET_INFO => send(vec![3]),
            GET_LEN => send((PROBE_LEN as u16).to_le_bytes().to_vec()),
            _ => Answer::Stall,
        };
        (answer, Effect::None)
    }

    /// A SET_CUR whose data stage the host finished before this program could read it, and
    /// which the host's next request superseded (gadgetfs then fails the read with EIDRM).
    /// dummy_udc completes an OUT control transfer as soon as its data arrives, so the host's
    /// next request can come first. The data is lost, which costs nothing: every probe
    /// settles on the one setting. What the host sends next is predictable: after a probe,
    /// uvcvideo reads it back (GET_CUR), so that answer is returned here to be sent at once,
    /// before gadgetfs takes any read on ep0 as a stall of it. After a commit it streams.
    pub fn superseded(&mut self) -> (Option<Vec<u8>>, Effect) {
        match self.pending_set.take() {
            Some(VS_PROBE_CONTROL) => (Some(self.probe()), Effect::None),
            Some(VS_COMMIT_CONTROL) => (None, Effect::Committed),
            _ => (None, Effect::None),
        }
    }

    /// A SET_CUR's data stage. Whatever the host asked for, the one setting stands (its next
    /// GET_CUR says so); a commit means the host is about to stream.
    pub fn data(&mut self, payload: &[u8]) -> Effect {
        match self.pending_set.take() {
            Some(VS_COMMIT_CONTROL) => {
                log::info!(
                    "host committed format {} frame {}",
                    payload.get(2).unwrap_or(&0),
                    payload.get(3).unwrap_or(&0)
                );
                Effect::Committed
            }
            _ => Effect::None,
        }
    }
}
