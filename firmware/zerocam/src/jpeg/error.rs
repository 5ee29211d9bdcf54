//! What can go wrong when encoding a frame, with enough context to log a useful line.

use std::fmt;

/// Why [`JpegEncoder::encode`](super::JpegEncoder::encode) produced no JPEG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The JPEG does not fit in the caller's buffer. Nothing usable was written; the caller
    /// should drop the frame or retry with a bigger buffer or a lower quality.
    OutputFull { capacity: usize },
    /// The frame description is unusable; `problem` says which part.
    BadInput { problem: InputProblem },
}

/// The part of a [`Frame`](super::Frame) that made it unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputProblem {
    /// A JPEG cannot have an empty side.
    ZeroSize { width: u32, height: u32 },
    /// A JPEG (SOF0) stores each side in 16 bits.
    TooLarge { width: u32, height: u32 },
    /// A row of `plane` needs `needed` bytes but rows are only `stride` bytes apart.
    StrideTooSmall { plane: PlaneName, stride: usize, needed: usize },
    /// `plane` must hold at least `needed` bytes for the given size and stride.
    PlaneTooShort { plane: PlaneName, len: usize, needed: usize },
}

/// Names the input plane an [`InputProblem`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaneName {
    Gray,
    Y,
    U,
    V,
    /// The interleaved chroma plane of NV12.
    Uv,
    /// The single packed plane of YUYV.
    Yuyv,
}

impl EncodeError {
    pub(crate) fn bad(problem: InputProblem) -> Self {
        EncodeError::BadInput { problem }
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::OutputFull { capacity } => {
                write!(f, "JPEG does not fit in the {capacity}-byte output buffer")
            }
            EncodeError::BadInput { problem } => write!(f, "unusable input frame: {problem}"),
        }
    }
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputProblem::ZeroSize { width, height } => write!(f, "size {width}x{height} has an empty side"),
            InputProblem::TooLarge { width, height } => {
                write!(f, "size {width}x{height} exceeds the JPEG limit of 65535 per side")
            }
            InputProblem::StrideTooSmall { plane, stride, needed } => {
                write!(f, "{plane} plane stride {stride} is less than the {needed} bytes of one row")
            }
            InputProblem::PlaneTooShort { plane, len, needed } => {
                write!(f, "{plane} plane has {len} bytes, needs at least {needed}")
            }
        }
    }
}

impl fmt::Display for PlaneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            PlaneName::Gray => "gray",
            PlaneName::Y => "Y",
            PlaneName::U => "U",
            PlaneName::V => "V",
            PlaneName::Uv => "UV",
            PlaneName::Yuyv => "YUYV",
        };
        f.write_str(name)
    }
}

impl std::error::Error for EncodeError {}
