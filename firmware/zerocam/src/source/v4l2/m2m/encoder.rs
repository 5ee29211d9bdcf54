//! The per-frame cycle of a memory-to-memory JPEG encoder, over a small trait so that it is
//! tested with a fake device: copy the raw frame into a free OUTPUT buffer, queue it, wait
//! for the CAPTURE buffer, copy its JPEG into the pool slot, queue that buffer back, and
//! take back finished OUTPUT buffers. Nothing is allocated per frame.

use super::super::abi;
use super::super::error::{Failure, V4l2Error};
use super::super::frames::{copy_jpeg, filled, RawLayout};
use super::ioctls::Finished;
use super::layout::{repack, CodecLayout};
use crate::pool::Dropped;
use std::path::Path;
use std::time::Duration;

/// A JPEG should come back in a few tens of milliseconds; this long means the codec is
/// stuck or taken by someone else, and the camera falls back to software.
pub const ENCODE_TIMEOUT: Duration = Duration::from_secs(1);

/// The two queues of an M2M encoder with their buffers mapped (the real one: codec.rs).
pub trait CodecQueues {
    fn path(&self) -> &Path;
    fn raw_buffer_count(&self) -> usize;
    /// OUTPUT buffer `index`, to fill while we hold it.
    fn raw_buffer(&mut self, index: usize) -> &mut [u8];
    fn queue_raw(&mut self, index: usize, bytesused: usize) -> Result<(), V4l2Error>;
    /// A consumed OUTPUT buffer, or `None` if the driver still holds them all. Never waits.
    fn reclaim_raw(&mut self) -> Result<Option<usize>, V4l2Error>;
    /// Waits up to `timeout` for a filled CAPTURE buffer.
    fn wait_jpeg(&mut self, timeout: Duration) -> Result<Option<Finished>, V4l2Error>;
    /// CAPTURE buffer `index` (its whole mapping).
    fn jpeg_buffer(&self, index: usize) -> &[u8];
    fn requeue_jpeg(&mut self, index: usize) -> Result<(), V4l2Error>;
}

/// Why a frame was not encoded: the frame's fault (count it, go on) or the device's
/// (stop using the encoder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EncodeFailure {
    Frame(Dropped),
    Device(V4l2Error),
}

impl From<V4l2Error> for EncodeFailure {
    fn from(err: V4l2Error) -> Self {
        EncodeFailure::Device(err)
    }
}

pub struct M2mJpegEncoder<Q: CodecQueues> {
    queues: Q,
    layout: CodecLayout,
    /// Which OUTPUT buffers we hold (true) rather than the driver; sized once.
    raw_ours: Vec<bool>,
    timeout: Duration,
}

impl<Q: CodecQueues> M2mJpegEncoder<Q> {
    /// `queues` with all CAPTURE buffers queued and no OUTPUT buffer queued.
    pub fn new(queues: Q, layout: CodecLayout, timeout: Duration) -> Self {
        let raw_ours = vec![true; queues.raw_buffer_count()];
        M2mJpegEncoder { queues, layout, raw_ours, timeout }
    }

    /// Encodes one raw frame (laid out as `source`) into `slot`; returns the JPEG's length.
    pub fn encode(
        &mut self,
        source: &RawLayout,
        data: &[u8],
        slot: &mut [u8],
    ) -> Result<usize, EncodeFailure> {
        let index = self.free_raw_buffer()?;
        let used = repack(source, data, &self.layout, self.queues.raw_buffer(index))
            .ok_or(EncodeFailure::Frame(Dropped::Corrupt))?;
        self.queues.queue_raw(index, used)?;
        self.raw_ours[index] = false;
        let Some(done) = self.queues.wait_jpeg(self.timeout)? else {
            let error = Failure::Unexpected(format!("no JPEG from the encoder within {:?}", self.timeout));
            return Err(EncodeFailure::Device(V4l2Error::new(self.queues.path(), error)));
        };
        let index = done.index as usize;
        // Copy before requeueing: the driver may overwrite the buffer once it has it back.
        let copied = if done.flags & abi::BUF_FLAG_ERROR != 0 {
            Err(Dropped::Corrupt)
        } else {
            filled(self.queues.jpeg_buffer(index), done.bytesused).and_then(|jpeg| copy_jpeg(jpeg, slot))
        };
        self.queues.requeue_jpeg(index)?;
        // The OUTPUT buffer is normally done by now; if not, the next frame takes it back.
        self.reclaim_finished()?;
        copied.map_err(EncodeFailure::Frame)
    }

    fn free_raw_buffer(&mut self) -> Result<usize, EncodeFailure> {
        if let Some(index) = self.raw_ours.iter().position(|ours| *ours) {
            return Ok(index);
        }
        self.reclaim_finished()?;
        self.raw_ours.iter().position(|ours| *ours).ok_or_else(|| {
            let error = Failure::Unexpected("the encoder holds every input buffer".to_string());
            EncodeFailure::Device(V4l2Error::new(self.queues.path(), error))
        })
    }

    fn reclaim_finished(&mut self) -> Result<(), V4l2Error> {
        while let Some(index) = self.queues.reclaim_raw()? {
            if let Some(ours) = self.raw_ours.get_mut(index) {
                *ours = true;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Resolution;
    use crate::source::v4l2::negotiate::PixelKind;
    use std::path::PathBuf;

    const JPEG: [u8; 9] = [0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 7, 0xFF, 0xD9];

    /// A codec that "encodes" by writing JPEG into the CAPTURE buffer, and logs every call.
    struct FakeCodec {
        path: PathBuf,
        raw: Vec<Vec<u8>>,
        jpeg: Vec<Vec<u8>>,
        raw_queued: Vec<usize>,
        jpeg_queued: Vec<usize>,
        calls: Vec<String>,
        /// Answer wait_jpeg with nothing (a stuck codec).
        stuck: bool,
        /// Hold consumed OUTPUT buffers back (a slow driver).
        keep_raw: bool,
        flags: u32,
    }

    impl FakeCodec {
        fn new() -> FakeCodec {
            FakeCodec {
                path: "/dev/video31".into(),
                raw: vec![vec![0; 64 * 16]; 2],
                jpeg: vec![vec![0; 64]; 2],
                raw_queued: Vec::new(),
                jpeg_queued: vec![0, 1],
                calls: Vec::new(),
                stuck: false,
                keep_raw: false,
                flags: 0,
            }
        }
    }

    impl CodecQueues for FakeCodec {
        fn path(&self) -> &Path {
            &self.path
        }
        fn raw_buffer_count(&self) -> usize {
            self.raw.len()
        }
        fn raw_buffer(&mut self, index: usize) -> &mut [u8] {
            assert!(!self.raw_queued.contains(&index), "wrote a queued OUTPUT buffer");
            &mut self.raw[index]
        }
        fn queue_raw(&mut self, index: usize, bytesused: usize) -> Result<(), V4l2Error> {
            self.calls.push(format!("qbuf raw {index} {bytesused}"));
            self.raw_queued.push(index);
            Ok(())
        }
        fn reclaim_raw(&mut self) -> Result<Option<usize>, V4l2Error> {
            if self.keep_raw || self.raw_queued.is_empty() {
                return Ok(None);
            }
            let index = self.raw_queued.remove(0);
            self.calls.push(format!("dqbuf raw {index}"));
            Ok(Some(index))
        }
        fn wait_jpeg(&mut self, _timeout: Duration) -> Result<Option<Finished>, V4l2Error> {
            if self.stuck || self.raw_queued.is_empty() || self.jpeg_queued.is_empty() {
                return Ok(None);
            }
            let index = self.jpeg_queued.remove(0);
            self.jpeg[index][..JPEG.len()].copy_from_slice(&JPEG);
            self.calls.push(format!("dqbuf jpeg {index}"));
            Ok(Some(Finished { index: index as u32, bytesused: JPEG.len(), flags: self.flags }))
        }
        fn jpeg_buffer(&self, index: usize) -> &[u8] {
            self.jpeg.get(index).map_or(&[], Vec::as_slice)
        }
        fn requeue_jpeg(&mut self, index: usize) -> Result<(), V4l2Error> {
            self.calls.push(format!("qbuf jpeg {index}"));
            self.jpeg_queued.push(index);
            Ok(())
        }
    }

    fn encoder(codec: FakeCodec) -> M2mJpegEncoder<FakeCodec> {
        let layout = CodecLayout { bytes_per_line: 64, buffer_height: 16, size_image: 64 * 16 };
        M2mJpegEncoder::new(codec, layout, ENCODE_TIMEOUT)
    }

    fn yuyv() -> RawLayout {
        RawLayout { kind: PixelKind::Yuyv, size: Resolution { width: 16, height: 4 }, bytes_per_line: 0 }
    }

    #[test]
    fn frames_go_out_and_jpegs_come_back_in_order() {
        let mut encoder = encoder(FakeCodec::new());
        let mut slot = [0u8; 32];
        for _ in 0..3 {
            assert_eq!(encoder.encode(&yuyv(), &[5u8; 128], &mut slot), Ok(JPEG.len()));
            assert_eq!(&slot[..JPEG.len()], &JPEG);
        }
        let calls = &encoder.queues.calls;
        let expected = [
            "qbuf raw 0 1024",
            "dqbuf jpeg 0",
            "qbuf jpeg 0",
            "dqbuf raw 0",
            "qbuf raw 0 1024",
            "dqbuf jpeg 1",
            "qbuf jpeg 1",
            "dqbuf raw 0",
            "qbuf raw 0 1024",
            "dqbuf jpeg 0",
            "qbuf jpeg 0",
            "dqbuf raw 0",
        ];
        assert_eq!(calls, &expected);
        assert_eq!(&encoder.queues.raw[0][..32], &[5u8; 32], "the frame was copied in");
    }

    #[test]
    fn a_slow_driver_gets_the_next_buffer_and_then_none() {
        let mut codec = FakeCodec::new();
        codec.keep_raw = true;
        let mut encoder = encoder(codec);
        let mut slot = [0u8; 32];
        assert!(encoder.encode(&yuyv(), &[5u8; 128], &mut slot).is_ok());
        assert!(encoder.encode(&yuyv(), &[5u8; 128], &mut slot).is_ok());
        assert_eq!(encoder.queues.raw_queued, vec![0, 1]);
        match encoder.encode(&yuyv(), &[5u8; 128], &mut slot) {
            Err(EncodeFailure::Device(err)) => {
                assert!(err.to_string().contains("every input buffer"), "{err}")
            }
            other => panic!("expected a device failure, got {other:?}"),
        }
    }

    #[test]
    fn a_stuck_codec_is_a_device_failure_naming_it() {
        let mut codec = FakeCodec::new();
        codec.stuck = true;
        let mut encoder = encoder(codec);
        match encoder.encode(&yuyv(), &[5u8; 128], &mut [0u8; 32]) {
            Err(EncodeFailure::Device(err)) => {
                assert_eq!(err.path, Path::new("/dev/video31"));
                assert!(err.to_string().contains("no JPEG from the encoder"), "{err}");
            }
            other => panic!("expected a device failure, got {other:?}"),
        }
    }

    #[test]
    fn bad_frames_are_dropped_and_buffers_still_cycle() {
        let mut encoder = encoder(FakeCodec::new());
        let mut slot = [0u8; 32];
        // Too short for 16x4 YUYV: refused before anything is queued.
        assert_eq!(
            encoder.encode(&yuyv(), &[5u8; 10], &mut slot),
            Err(EncodeFailure::Frame(Dropped::Corrupt))
        );
        assert!(encoder.queues.calls.is_empty());
        // A JPEG too large for the slot: dropped, and the CAPTURE buffer goes back.
        assert_eq!(
            encoder.encode(&yuyv(), &[5u8; 128], &mut slot[..4]),
            Err(EncodeFailure::Frame(Dropped::TooLarge))
        );
        assert_eq!(encoder.queues.jpeg_queued, vec![1, 0]);
        // The driver flags a damaged result.
        encoder.queues.flags = abi::BUF_FLAG_ERROR;
        assert_eq!(
            encoder.encode(&yuyv(), &[5u8; 128], &mut slot),
            Err(EncodeFailure::Frame(Dropped::Corrupt))
        );
        assert_eq!(encoder.queues.jpeg_queued, vec![0, 1]);
        assert!(encoder.raw_ours.iter().all(|ours| *ours));
    }
}
