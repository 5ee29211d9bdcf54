//! Quantisation tables scaled by a quality setting, and the quantiser that folds the DCT's
//! output scale into the same multiplication, so each coefficient costs one multiply and a
//! shift rather than a division.
//!
//! The quantiser is the encoder's hottest loop (a third of a YUYV frame's time on the
//! ARM1176 before it was unrolled). It is written out for all 64 positions so that each
//! position's zig-zag index, reciprocal offset and mask bit are constants: on a 32-bit core
//! a variable `u64` shift alone cost 7 instructions per coefficient.

use super::dct;
use super::tables::ZIGZAG;

/// Fraction bits of the reciprocal multipliers. The product is taken in 64 bits and the
/// quotient is its high word: one SMULL/UMULL on the ARM1176, no shifting. (With 18 bits
/// and a 32-bit product, the reciprocal of a large step times the DCT's scale was off by up
/// to 1 %, enough to round coefficients near a half-step the wrong way.) The reciprocals
/// fit in 31 bits because every step times the DCT's scale is above 2.4 (q = 1 at (7, 7)),
/// and the product stays below 2^51 (DCT outputs of 8-bit samples stay below 2^20).
const RECIPROCAL_BITS: u32 = 32;

/// Baseline Huffman tables only code magnitudes of up to 11 bits for DC and 10 bits for AC.
const MAX_DC: i32 = 2047;
const MAX_AC: i32 = 1023;

/// The largest magnitude an orthonormal 8x8 DCT coefficient of level-shifted 8-bit samples
/// (-128..=127) can have: 128 times the largest `(sum over x of |c(u) cos((2x+1)uπ/16)|)^2`,
/// which is `(8 / √8)^2 = 8` (at u = 0 and u = 4). So a step of 2 or more can never
/// quantise an AC coefficient above 512, and only a step of 1 can exceed `MAX_AC`.
const MAX_ORTHONORMAL: f64 = 1024.0;

/// One quantisation table, ready both to be written and to be used.
#[derive(Debug, Clone)]
pub struct QuantTable {
    /// The table in zig-zag order, as the DQT segment carries it.
    pub zigzag: [u8; 64],
    /// For each zig-zag position: `2^32 / (q * DCT output scale)`, rounded.
    reciprocal: [i32; 64],
    /// Some AC step is 1 (quality 92 and up), so an AC value can reach 1024, one more than
    /// a baseline Huffman table codes, and must be clamped.
    clamps_ac: bool,
}

/// The IJG (libjpeg) mapping from quality 1..=100 to a percentage applied to the base tables,
/// so "quality 80" means what users of other tools expect.
pub fn quality_percent(quality: u8) -> u32 {
    let quality = u32::from(quality.clamp(1, 100));
    if quality < 50 {
        5000 / quality
    } else {
        200 - 2 * quality
    }
}

/// `magnitude / step`, rounded half up, via the step's reciprocal.
#[inline(always)]
fn scale_down(magnitude: u32, reciprocal: i32) -> i32 {
    let product = u64::from(magnitude) * u64::from(reciprocal.unsigned_abs());
    ((product + (1 << (RECIPROCAL_BITS - 1))) >> RECIPROCAL_BITS) as i32
}

/// `value / step`, rounded to nearest, via the step's reciprocal, sign and all: one SMULL
/// and one add with a shifted operand. Exact ties round up (-2.5 to -2) where libjpeg
/// rounds them away from zero. A tie needs a rational divisor, which only the three AC
/// positions whose frequencies are both 0 or 4 have, and then a value that is an exact odd
/// multiple of half a step; no SSIM figure moved (`ci/bench-jpeg-size`).
#[inline(always)]
fn scale_signed(value: i32, reciprocal: i32) -> i32 {
    let product = i64::from(value) * i64::from(reciprocal);
    ((product >> RECIPROCAL_BITS) as i32).wrapping_add(((product as u32) >> (RECIPROCAL_BITS - 1)) as i32)
}

impl QuantTable {
    /// Scales a base table (row-major) to `quality`; entries stay within 1..=255 as the
    /// 8-bit precision DQT of a baseline JPEG requires.
    pub fn scaled(base: &[u8; 64], quality: u8) -> QuantTable {
        let percent = quality_percent(quality);
        let mut zigzag = [0u8; 64];
        let mut reciprocal = [0i32; 64];
        for (position, &natural) in ZIGZAG.iter().enumerate() {
            let natural = natural as usize;
            let q = ((u32::from(base[natural]) * percent + 50) / 100).clamp(1, 255);
            zigzag[position] = q as u8;
            let divisor = q as f64 * dct::output_scale(natural / 8) * dct::output_scale(natural % 8);
            // Below 2^31 for every divisor (see RECIPROCAL_BITS); `as` saturates regardless.
            reciprocal[position] = ((1u64 << RECIPROCAL_BITS) as f64 / divisor).round() as i32;
        }
        let clamps_ac = zigzag[1..].iter().any(|&q| MAX_ORTHONORMAL / f64::from(q) > f64::from(MAX_AC));
        QuantTable { zigzag, reciprocal, clamps_ac }
    }

    /// Quantises the output of [`dct::forward_dct_rows`] into zig-zag order. Returns a bit mask
    /// with bit k set when AC coefficient k (zig-zag position, 1..64) is non-zero, so the
    /// entropy coder can jump straight from one non-zero coefficient to the next.
    #[inline]
    pub fn quantise(&self, dct_out: &[i32; 64], zigzag_out: &mut [i32; 64]) -> u64 {
        if self.clamps_ac {
            self.quantise_all::<true>(dct_out, zigzag_out)
        } else {
            self.quantise_all::<false>(dct_out, zigzag_out)
        }
    }

    #[inline(always)]
    fn quantise_all<const CLAMP_AC: bool>(&self, dct_out: &[i32; 64], zigzag_out: &mut [i32; 64]) -> u64 {
        // The DC term may use the full 11 bits (and cannot exceed them: see MAX_ORTHONORMAL).
        let dc = dct_out[0];
        let sign = dc >> 31;
        let quantised = scale_down(((dc ^ sign) - sign) as u32, self.reciprocal[0]).min(MAX_DC);
        zigzag_out[0] = (quantised ^ sign) - sign;
        let mut nonzero = 0u64;
        macro_rules! positions {
            ($($position:literal)+) => {$(
                let value = scale_signed(dct_out[ZIGZAG[$position] as usize], self.reciprocal[$position]);
                let value = if CLAMP_AC { value.clamp(-MAX_AC, MAX_AC) } else { value };
                zigzag_out[$position] = value;
                nonzero |= u64::from(value != 0) << $position;
            )+};
        }
        positions!(
                1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
            32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
        );
        nonzero
    }
}

#[cfg(test)]
mod tests {
    use super::super::tables::LUMA_QUANT_BASE;
    use super::*;

    #[test]
    fn quality_50_is_the_base_table_and_extremes_stay_in_range() {
        let table = QuantTable::scaled(&LUMA_QUANT_BASE, 50);
        assert_eq!(table.zigzag[0], 16);
        assert_eq!(table.zigzag[1], 11);
        assert_eq!(table.zigzag[2], 12);
        assert!(QuantTable::scaled(&LUMA_QUANT_BASE, 100).zigzag.iter().all(|&q| q == 1));
        assert!(QuantTable::scaled(&LUMA_QUANT_BASE, 1).zigzag.iter().all(|&q| q >= 1));
        assert_eq!(
            QuantTable::scaled(&LUMA_QUANT_BASE, 0).zigzag,
            QuantTable::scaled(&LUMA_QUANT_BASE, 1).zigzag
        );
    }

    #[test]
    fn quantise_divides_out_the_dct_scale() {
        let table = QuantTable::scaled(&LUMA_QUANT_BASE, 50);
        let mut block = [0i32; 64];
        // An orthonormal DC of -160 quantises to -10 with q = 16.
        block[0] = (-160.0 * dct::output_scale(0) * dct::output_scale(0)) as i32;
        // Orthonormal (0,1) = 33 with q = 11 gives 3.
        block[1] = (33.0 * dct::output_scale(0) * dct::output_scale(1)) as i32;
        let mut out = [0i32; 64];
        let mask = table.quantise(&block, &mut out);
        assert_eq!(out[0], -10);
        assert_eq!(out[1], 3);
        assert_eq!(mask, 0b10);
    }

    /// The reciprocal multiply is a correctly rounded division for every position at every
    /// quality, over the whole range of DCT outputs (values within 1e-4 of a half-step aside:
    /// the reciprocal carries 32 bits, not infinitely many).
    #[test]
    fn quantise_rounds_like_a_division() {
        for quality in [1, 20, 50, 80, 95, 100] {
            let table = QuantTable::scaled(&LUMA_QUANT_BASE, quality);
            for (position, &natural) in ZIGZAG.iter().enumerate() {
                let natural = natural as usize;
                let divisor = f64::from(table.zigzag[position])
                    * dct::output_scale(natural / 8)
                    * dct::output_scale(natural % 8);
                // Beyond what the DCT can output only a clamping table has to clamp.
                let reachable = MAX_ORTHONORMAL * 1.01 * divisor / f64::from(table.zigzag[position]);
                let range = if table.clamps_ac { 1 << 19 } else { reachable as i32 };
                for magnitude in (0..range).step_by(if table.clamps_ac { 997 } else { 61 }) {
                    let exact = f64::from(magnitude) / divisor;
                    if (exact.fract() - 0.5).abs() < 1e-4 {
                        continue;
                    }
                    for sign in [-1, 1] {
                        let mut block = [0i32; 64];
                        block[natural] = sign * magnitude;
                        let mut out = [0i32; 64];
                        table.quantise(&block, &mut out);
                        let limit = if position == 0 { MAX_DC } else { MAX_AC };
                        let want = (exact.round() as i32).min(limit);
                        assert_eq!(
                            out[position],
                            sign * want,
                            "q{quality} position {position}: {} / {divisor}",
                            sign * magnitude
                        );
                    }
                }
            }
        }
    }

    /// The bound behind `clamps_ac`: the blocks that reach it (a flat block, and the u = 4
    /// and v = 4 patterns of ±128) come out of the DCT at 1024 in orthonormal units, so a
    /// step of 2 leaves them at 512, and only tables with a step of 1 clamp.
    #[test]
    fn only_a_step_of_one_needs_the_ac_clamp() {
        for (quality, clamps) in [(1, false), (50, false), (80, false), (91, false), (100, true)] {
            assert_eq!(QuantTable::scaled(&LUMA_QUANT_BASE, quality).clamps_ac, clamps, "quality {quality}");
        }
        let all_twos = QuantTable { clamps_ac: false, ..QuantTable::scaled(&[2; 64], 50) };
        let pattern = |x: usize| if matches!(x % 8, 0 | 3 | 4 | 7) { 127 } else { -128 };
        for block_kind in 0..3 {
            let mut block = [0i32; 64];
            for (i, value) in block.iter_mut().enumerate() {
                *value = match block_kind {
                    0 => -128,
                    1 => pattern(i % 8),
                    _ => pattern(i % 8) * pattern(i / 8) / 127,
                };
            }
            dct::forward_dct(&mut block);
            let mut out = [0i32; 64];
            all_twos.quantise(&block, &mut out);
            let largest = out.iter().map(|v| v.abs()).max().unwrap_or(0);
            assert!((500..=513).contains(&largest), "block {block_kind}: largest {largest}");
        }
    }
}
