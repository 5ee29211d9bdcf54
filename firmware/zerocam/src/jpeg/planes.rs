//! The caller's picture formats, their validation, and reading 8x8 sample blocks out of them.
//!
//! Every supported format reduces to one "sample grid" per JPEG component: a start offset,
//! the distance between neighbouring samples of that component (1 for planar data, 2 or 4
//! when components are interleaved), and the row stride. Encoding then never needs to know
//! which format it is reading.

use super::dct;
use super::error::{EncodeError, InputProblem, PlaneName};
use super::headers::{CHROMA_TABLES, LUMA_TABLES};

/// One plane of 8-bit samples; row `r` starts at `data[r * stride]`.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    pub data: &'a [u8],
    pub stride: usize,
}

impl<'a> Plane<'a> {
    pub fn new(data: &'a [u8], stride: usize) -> Self {
        Plane { data, stride }
    }
}

/// The sample layouts camera sources deliver. Samples are taken as full-range (JFIF) YCbCr;
/// limited-range ("TV") video is passed through unchanged.
#[derive(Debug, Clone, Copy)]
pub enum Pixels<'a> {
    /// One luma plane; encoded as a single-component JPEG.
    Gray(Plane<'a>),
    /// Planar 4:2:0: full-size Y, U and V of `ceil(width/2) x ceil(height/2)`. Encoded 4:2:0.
    I420 { y: Plane<'a>, u: Plane<'a>, v: Plane<'a> },
    /// Full-size Y plus one plane of interleaved U,V pairs, `ceil(width/2)` pairs per row and
    /// `ceil(height/2)` rows. Encoded 4:2:0.
    Nv12 { y: Plane<'a>, uv: Plane<'a> },
    /// Packed 4:2:2, bytes Y0 U Y1 V per pixel pair, `ceil(width/2)` pairs per row. Encoded
    /// 4:2:0: each two rows' chroma is averaged into one. Keeping 4:2:2 costs 7-19 % more
    /// bytes per frame for colour detail few viewers see, and µStreamer (libjpeg's defaults)
    /// sends 4:2:0 too; `ci/bench-jpeg-size` has the figures.
    Yuyv(Plane<'a>),
}

/// A picture to encode: its size in pixels and where its samples are.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub width: u32,
    pub height: u32,
    pub pixels: Pixels<'a>,
}

/// Where the samples of one JPEG component are, all in bounds of `data` (checked once).
#[derive(Debug, Clone, Copy)]
pub struct SampleGrid<'a> {
    data: &'a [u8],
    start: usize,
    step: usize,
    stride: usize,
    width: usize,
    height: usize,
    /// Each grid row is the average of two source rows (4:2:2 input coded as 4:2:0). Then
    /// `stride` spans two source rows and `source_rows` says how many there are, so an odd
    /// last row is paired with itself.
    paired_rows: Option<PairedRows>,
}

#[derive(Debug, Clone, Copy)]
struct PairedRows {
    source_stride: usize,
    source_rows: usize,
}

/// One component of the scan as the SOF0/SOS headers and the MCU loop need it.
#[derive(Debug, Clone, Copy)]
pub struct ScanComponent<'a> {
    pub id: u8,
    /// Sampling factors: blocks of this component per MCU, across and down.
    pub horizontal: usize,
    pub vertical: usize,
    /// Quantisation and Huffman table slot.
    pub tables: u8,
    pub grid: SampleGrid<'a>,
}

/// A validated frame: its size and its 1 or 3 components.
#[derive(Debug, Clone, Copy)]
pub struct Layout<'a> {
    pub width: u16,
    pub height: u16,
    slots: [ScanComponent<'a>; 3],
    count: usize,
}

impl<'a> Layout<'a> {
    pub fn components(&self) -> &[ScanComponent<'a>] {
        &self.slots[..self.count]
    }
}

impl<'a> Frame<'a> {
    /// Checks size, strides and buffer lengths and describes each component's samples.
    pub(crate) fn layout(&self) -> Result<Layout<'a>, EncodeError> {
        let (width, height) = (self.width, self.height);
        if width == 0 || height == 0 {
            return Err(EncodeError::bad(InputProblem::ZeroSize { width, height }));
        }
        let (Ok(width16), Ok(height16)) = (u16::try_from(width), u16::try_from(height)) else {
            return Err(EncodeError::bad(InputProblem::TooLarge { width, height }));
        };
        let (w, h) = (usize::from(width16), usize::from(height16));
        let (chroma_w, chroma_h) = (w.div_ceil(2), h.div_ceil(2));

        let component = |id, (horizontal, vertical), tables, grid| ScanComponent {
            id,
            horizontal,
            vertical,
            tables,
            grid,
        };
        let luma = |grid| component(1, (1, 1), LUMA_TABLES, grid);
        let (slots, count) = match self.pixels {
            Pixels::Gray(plane) => {
                check_plane(PlaneName::Gray, plane, w, h)?;
                let gray = luma(SampleGrid::new(plane, 0, 1, w, h));
                ([gray; 3], 1)
            }
            Pixels::I420 { y, u, v } => {
                check_plane(PlaneName::Y, y, w, h)?;
                check_plane(PlaneName::U, u, chroma_w, chroma_h)?;
                check_plane(PlaneName::V, v, chroma_w, chroma_h)?;
                (
                    [
                        component(1, (2, 2), LUMA_TABLES, SampleGrid::new(y, 0, 1, w, h)),
                        component(2, (1, 1), CHROMA_TABLES, SampleGrid::new(u, 0, 1, chroma_w, chroma_h)),
                        component(3, (1, 1), CHROMA_TABLES, SampleGrid::new(v, 0, 1, chroma_w, chroma_h)),
                    ],
                    3,
                )
            }
            Pixels::Nv12 { y, uv } => {
                check_plane(PlaneName::Y, y, w, h)?;
                check_plane(PlaneName::Uv, uv, 2 * chroma_w, chroma_h)?;
                (
                    [
                        component(1, (2, 2), LUMA_TABLES, SampleGrid::new(y, 0, 1, w, h)),
                        component(2, (1, 1), CHROMA_TABLES, SampleGrid::new(uv, 0, 2, chroma_w, chroma_h)),
                        component(3, (1, 1), CHROMA_TABLES, SampleGrid::new(uv, 1, 2, chroma_w, chroma_h)),
                    ],
                    3,
                )
            }
            Pixels::Yuyv(packed) => {
                check_plane(PlaneName::Yuyv, packed, 4 * chroma_w, h)?;
                let chroma = |start| SampleGrid::paired(packed, start, 4, chroma_w, h);
                (
                    [
                        component(1, (2, 2), LUMA_TABLES, SampleGrid::new(packed, 0, 2, w, h)),
                        component(2, (1, 1), CHROMA_TABLES, chroma(1)),
                        component(3, (1, 1), CHROMA_TABLES, chroma(3)),
                    ],
                    3,
                )
            }
        };
        Ok(Layout { width: width16, height: height16, slots, count })
    }
}

/// A plane must have rows of at least `row_bytes` and hold `rows` of them; the last row
/// need not be padded out to the full stride.
fn check_plane(name: PlaneName, plane: Plane<'_>, row_bytes: usize, rows: usize) -> Result<(), EncodeError> {
    if plane.stride < row_bytes {
        return Err(EncodeError::bad(InputProblem::StrideTooSmall {
            plane: name,
            stride: plane.stride,
            needed: row_bytes,
        }));
    }
    let needed =
        (rows - 1).checked_mul(plane.stride).and_then(|n| n.checked_add(row_bytes)).unwrap_or(usize::MAX);
    if plane.data.len() < needed {
        return Err(EncodeError::bad(InputProblem::PlaneTooShort {
            plane: name,
            len: plane.data.len(),
            needed,
        }));
    }
    Ok(())
}

impl<'a> SampleGrid<'a> {
    fn new(plane: Plane<'a>, start: usize, step: usize, width: usize, height: usize) -> Self {
        SampleGrid { data: plane.data, start, step, stride: plane.stride, width, height, paired_rows: None }
    }

    /// A grid of `ceil(source_rows / 2)` rows, each the average of two source rows.
    fn paired(plane: Plane<'a>, start: usize, step: usize, width: usize, source_rows: usize) -> Self {
        SampleGrid {
            data: plane.data,
            start,
            step,
            stride: 2 * plane.stride,
            width,
            height: source_rows.div_ceil(2),
            paired_rows: Some(PairedRows { source_stride: plane.stride, source_rows }),
        }
    }

    /// Reads the 8x8 block whose top-left sample is (x0, y0) and transforms it into
    /// `block` (see [`dct::forward_dct_rows`]). Parts outside the grid repeat the last
    /// column/row, which keeps edge blocks smooth and so cheap to code.
    #[inline]
    pub fn transform_block(&self, x0: usize, y0: usize, block: &mut [i32; 64]) {
        if x0 + 8 <= self.width {
            match (self.step, self.paired_rows) {
                (1, None) if y0 + 8 <= self.height => {
                    return dct::forward_dct_rows(|row| self.row_inside::<1>(x0, y0 + row), block)
                }
                (2, None) if y0 + 8 <= self.height => {
                    return dct::forward_dct_rows(|row| self.row_inside::<2>(x0, y0 + row), block)
                }
                (4, None) if y0 + 8 <= self.height => {
                    return dct::forward_dct_rows(|row| self.row_inside::<4>(x0, y0 + row), block)
                }
                // Both source rows of all 8 grid rows exist.
                (4, Some(pairs)) if 2 * (y0 + 8) <= pairs.source_rows => {
                    return dct::forward_dct_rows(
                        |row| self.row_inside_paired::<4>(x0, y0 + row, pairs.source_stride),
                        block,
                    )
                }
                _ => {}
            }
        }
        let mut samples = [0i32; 64];
        self.load_clamped(x0, y0, &mut samples);
        dct::forward_dct_rows(
            |row| {
                let mut values = [0; 8];
                values.copy_from_slice(&samples[row * 8..row * 8 + 8]);
                values
            },
            block,
        );
    }

    /// Averages two rows; the rounding bias alternates by column (as libjpeg's downsampler
    /// does) so the average does not drift upwards by a quarter step.
    #[inline(always)]
    fn average(upper: u8, lower: u8, col: usize) -> i32 {
        (i32::from(upper) + i32::from(lower) + (col & 1) as i32) >> 1
    }

    /// Grid row `y` from column `x0` on, each sample the average of its two source rows.
    #[inline(always)]
    fn row_inside_paired<const STEP: usize>(&self, x0: usize, y: usize, source_stride: usize) -> [i32; 8] {
        let begin = self.start + y * self.stride + x0 * STEP;
        let upper = &self.data[begin..begin + 7 * STEP + 1];
        let lower = &self.data[begin + source_stride..begin + source_stride + 7 * STEP + 1];
        let pair = |col: usize| Self::average(upper[col * STEP], lower[col * STEP], col);
        [pair(0), pair(1), pair(2), pair(3), pair(4), pair(5), pair(6), pair(7)]
    }

    /// Eight samples of grid row `y` from column `x0` on; one bounds check for all of them.
    #[inline(always)]
    fn row_inside<const STEP: usize>(&self, x0: usize, y: usize) -> [i32; 8] {
        let begin = self.start + y * self.stride + x0 * STEP;
        let samples = &self.data[begin..begin + 7 * STEP + 1];
        let at = |col: usize| i32::from(samples[col * STEP]);
        [at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)]
    }

    /// The general case: raw samples with the edges repeated.
    fn load_clamped(&self, x0: usize, y0: usize, block: &mut [i32; 64]) {
        let mut offsets = [0usize; 8];
        for (col, offset) in offsets.iter_mut().enumerate() {
            *offset = (x0 + col).min(self.width - 1) * self.step;
        }
        for (row, out) in block.chunks_exact_mut(8).enumerate() {
            let grid_row = (y0 + row).min(self.height - 1);
            let begin = self.start + grid_row * self.stride;
            match self.paired_rows {
                None => {
                    for (value, offset) in out.iter_mut().zip(offsets) {
                        *value = i32::from(self.data[begin + offset]);
                    }
                }
                Some(pairs) => {
                    // An odd last source row is its own partner.
                    let has_lower = 2 * grid_row + 1 < pairs.source_rows;
                    let lower = begin + if has_lower { pairs.source_stride } else { 0 };
                    for (col, (value, offset)) in out.iter_mut().zip(offsets).enumerate() {
                        *value = Self::average(self.data[begin + offset], self.data[lower + offset], col);
                    }
                }
            }
        }
    }
}
