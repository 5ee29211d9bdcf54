//! Quantisation tables scaled by a quality setting, and the quantiser that folds the DCT's
//! output scale into the same multiplication, so each coefficient costs one multiply and a
//! shift rather than a division.

use super::dct;
use super::tables::ZIGZAG;

/// Fraction bits of the reciprocal multipliers. The product is taken in 64 bits and the
/// quotient is its high word: one UMULL/UMLAL on the ARM1176, no shifting. (With 18 bits
/// and a 32-bit product, the reciprocal of a large step times the DCT's scale was off by up
/// to 1 %, enough to round coefficients near a half-step the wrong way.) The reciprocals
/// fit in 32 bits because every step times the DCT's scale is above 9, and the product stays
/// below 2^52 (DCT outputs of 8-bit samples stay below 2^20).
const RECIPROCAL_BITS: u32 = 32;

/// Baseline Huffman tables only code magnitudes of up to 11 bits for DC and 10 bits for AC.
const MAX_DC: i32 = 2047;
const MAX_AC: i32 = 1023;

/// One quantisation table, ready both to be written and to be used.
#[derive(Debug, Clone)]
pub struct QuantTable {
    /// The table in zig-zag order, as the DQT segment carries it.
    pub zigzag: [u8; 64],
    /// For each zig-zag position: `2^32 / (q * DCT output scale)`, rounded.
    reciprocal: [u32; 64],
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
fn scale_down(magnitude: u32, reciprocal: u32) -> i32 {
    ((u64::from(magnitude) * u64::from(reciprocal) + (1 << (RECIPROCAL_BITS - 1))) >> RECIPROCAL_BITS) as i32
}

impl QuantTable {
    /// Scales a base table (row-major) to `quality`; entries stay within 1..=255 as the
    /// 8-bit precision DQT of a baseline JPEG requires.
    pub fn scaled(base: &[u8; 64], quality: u8) -> QuantTable {
        let percent = quality_percent(quality);
        let mut zigzag = [0u8; 64];
        let mut reciprocal = [0u32; 64];
        for (position, &natural) in ZIGZAG.iter().enumerate() {
            let natural = natural as usize;
            let q = ((u32::from(base[natural]) * percent + 50) / 100).clamp(1, 255);
            zigzag[position] = q as u8;
            let divisor = q as f64 * dct::output_scale(natural / 8) * dct::output_scale(natural % 8);
            reciprocal[position] = ((1u64 << RECIPROCAL_BITS) as f64 / divisor).round() as u32;
        }
        QuantTable { zigzag, reciprocal }
    }

    /// Quantises the output of [`dct::forward_dct`] into zig-zag order. Returns a bit mask
    /// with bit k set when AC coefficient k (zig-zag position, 1..64) is non-zero, so the
    /// entropy coder can jump straight from one non-zero coefficient to the next.
    #[inline]
    pub fn quantise(&self, dct_out: &[i32; 64], zigzag_out: &mut [i32; 64]) -> u64 {
        let mut nonzero = 0u64;
        for position in 0..64 {
            let value = dct_out[ZIGZAG[position] as usize];
            // Round half away from zero on the magnitude; sign restored afterwards.
            let sign = value >> 31;
            let magnitude = ((value ^ sign) - sign) as u32;
            let quantised = scale_down(magnitude, self.reciprocal[position]);
            let quantised = quantised.min(MAX_AC);
            zigzag_out[position] = (quantised ^ sign) - sign;
            nonzero |= u64::from(quantised != 0) << position;
        }
        // The DC term may use the full 11 bits; redo it without the AC clamp.
        let dc = dct_out[0];
        let sign = dc >> 31;
        let magnitude = ((dc ^ sign) - sign) as u32;
        let quantised = scale_down(magnitude, self.reciprocal[0]);
        zigzag_out[0] = (quantised.min(MAX_DC) ^ sign) - sign;
        nonzero & !1
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
                for magnitude in (0..1 << 19).step_by(997) {
                    let exact = f64::from(magnitude) / divisor;
                    if (exact.fract() - 0.5).abs() < 1e-4 {
                        continue;
                    }
                    let mut block = [0i32; 64];
                    block[natural] = -magnitude;
                    let mut out = [0i32; 64];
                    table.quantise(&block, &mut out);
                    let limit = if position == 0 { MAX_DC } else { MAX_AC };
                    let want = (exact.round() as i32).min(limit);
                    assert_eq!(
                        out[position], -want,
                        "q{quality} position {position}: {magnitude} / {divisor}"
                    );
                }
            }
        }
    }
}
