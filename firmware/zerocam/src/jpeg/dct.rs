//! Integer forward DCT after Arai, Agui and Nakajima (AAN): 5 multiplications per 8-point
//! transform instead of the 11+ of a direct factorisation. That matters on an ARM1176 with no
//! SIMD. The price is that every output coefficient comes out multiplied by a known factor;
//! [`output_scale`] gives it and the quantiser divides it out for free (see `quant.rs`).

/// Fixed-point fraction bits of the multiplier constants. With 13 bits every product of the
/// second pass stays inside i32 for 8-bit input shifted by INPUT_SHIFT (the largest |value|
/// there is below 2^16.5, the largest constant below 2^13.4).
const FRACTION_BITS: u32 = 13;
/// The first pass works on samples times 16. The spare bits keep the rounding of the
/// multiplications, and of the integer outputs, well below a quantisation step: with only
/// 2 of them the highest frequencies came out in units of 0.4 (orthonormal), coarse enough
/// to round measurably many coefficients to the wrong step (libjpeg's accurate DCT works
/// in units of 0.125; these are 0.1 or finer).
const INPUT_SHIFT: u32 = 4;
const HALF: i32 = 1 << (FRACTION_BITS - 1);

/// `round(x * 2^13)` of the four AAN rotation constants.
const C_0_707: i32 = 5793; // cos(4π/16)
const C_0_382: i32 = 3135; // cos(6π/16)
const C_0_541: i32 = 4433; // cos(6π/16) * √2
const C_1_306: i32 = 10703; // cos(2π/16) * √2

#[inline(always)]
fn mul(value: i32, constant: i32) -> i32 {
    (value * constant + HALF) >> FRACTION_BITS
}

/// One 8-point transform of `d`, kept in registers: the passes below load and store.
#[inline(always)]
fn transform_8(d: [i32; 8]) -> [i32; 8] {
    let [d0, d1, d2, d3, d4, d5, d6, d7] = d;
    let sum07 = d0 + d7;
    let diff07 = d0 - d7;
    let sum16 = d1 + d6;
    let diff16 = d1 - d6;
    let sum25 = d2 + d5;
    let diff25 = d2 - d5;
    let sum34 = d3 + d4;
    let diff34 = d3 - d4;

    // Even half: a 4-point DCT of the sums.
    let even_outer = sum07 + sum34;
    let even_outer_diff = sum07 - sum34;
    let even_inner = sum16 + sum25;
    let even_inner_diff = sum16 - sum25;
    let rotated = mul(even_inner_diff + even_outer_diff, C_0_707);

    // Odd half: the differences, through AAN's shared rotation.
    let odd_a = diff34 + diff25;
    let odd_b = diff25 + diff16;
    let odd_c = diff16 + diff07;
    let shared = mul(odd_a - odd_c, C_0_382);
    let rot_a = mul(odd_a, C_0_541) + shared;
    let rot_c = mul(odd_c, C_1_306) + shared;
    let rot_b = mul(odd_b, C_0_707);
    let upper = diff07 + rot_b;
    let lower = diff07 - rot_b;
    [
        even_outer + even_inner,
        upper + rot_c,
        even_outer_diff + rotated,
        lower - rot_a,
        even_outer - even_inner,
        lower + rot_a,
        even_outer_diff - rotated,
        upper - rot_c,
    ]
}

/// What the level shift (-128 on every sample) takes off the DC term of one row after the
/// first pass: only that term depends on a constant added to all eight inputs.
const LEVEL_SHIFT_ROW_DC: i32 = (8 * 128) << INPUT_SHIFT;

/// Transforms an 8x8 block whose rows of raw samples (0..=255, not level-shifted) `rows(r)`
/// gives, into `block`. Taking rows from the caller lets the first pass read the picture
/// itself, so no sample is stored and loaded again, and the level shift costs one
/// subtraction per row instead of one per sample.
/// Output (u, v) equals the orthonormal DCT coefficient of the level-shifted block times
/// `output_scale(u) * output_scale(v)`.
#[inline(always)]
pub fn forward_dct_rows(mut rows: impl FnMut(usize) -> [i32; 8], block: &mut [i32; 64]) {
    // Written out rather than through `array::map`/`from_fn`, which the size-optimised Pi
    // build leaves as loops over memory: this is the encoder's inner loop.
    for (row, out) in block.chunks_exact_mut(8).enumerate() {
        let [d0, d1, d2, d3, d4, d5, d6, d7] = rows(row);
        let s = INPUT_SHIFT;
        let transformed =
            transform_8([d0 << s, d1 << s, d2 << s, d3 << s, d4 << s, d5 << s, d6 << s, d7 << s]);
        out.copy_from_slice(&transformed);
        out[0] -= LEVEL_SHIFT_ROW_DC;
    }
    for col in 0..8 {
        let at = |k: usize| col + 8 * k;
        let column = [
            block[at(0)],
            block[at(1)],
            block[at(2)],
            block[at(3)],
            block[at(4)],
            block[at(5)],
            block[at(6)],
            block[at(7)],
        ];
        let [e0, e1, e2, e3, e4, e5, e6, e7] = transform_8(column);
        (block[at(0)], block[at(1)], block[at(2)], block[at(3)]) = (e0, e1, e2, e3);
        (block[at(4)], block[at(5)], block[at(6)], block[at(7)]) = (e4, e5, e6, e7);
    }
}

/// Transforms a level-shifted 8x8 block (row-major, values -128..=127) in place, as
/// [`forward_dct_rows`] does.
#[cfg(test)]
pub fn forward_dct(block: &mut [i32; 64]) {
    let samples = *block;
    forward_dct_rows(|row| std::array::from_fn(|col| samples[row * 8 + col] + 128), block);
}

/// The factor by which [`forward_dct_rows`] inflates coefficient index `k` (0..8) along one axis,
/// relative to the orthonormal DCT: `√8 * aan(k)`, where AAN's own scale is 1 for k = 0 and
/// `cos(kπ/16) * √2` otherwise, times the share of the input pre-scaling each axis carries.
pub fn output_scale(k: usize) -> f64 {
    let aan =
        if k == 0 { 1.0 } else { (k as f64 * std::f64::consts::PI / 16.0).cos() * std::f64::consts::SQRT_2 };
    8f64.sqrt() * aan * f64::from(1u32 << (INPUT_SHIFT / 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook orthonormal 2-D DCT-II, slow and obviously right.
    fn reference_dct(input: &[i32; 64]) -> [f64; 64] {
        let mut out = [0.0; 64];
        let c = |k: usize| if k == 0 { (1.0f64 / 8.0).sqrt() } else { (2.0f64 / 8.0).sqrt() };
        for u in 0..8 {
            for v in 0..8 {
                let mut sum = 0.0;
                for y in 0..8 {
                    for x in 0..8 {
                        let pi = std::f64::consts::PI;
                        sum += input[y * 8 + x] as f64
                            * ((2 * y + 1) as f64 * u as f64 * pi / 16.0).cos()
                            * ((2 * x + 1) as f64 * v as f64 * pi / 16.0).cos();
                    }
                }
                out[u * 8 + v] = c(u) * c(v) * sum;
            }
        }
        out
    }

    /// Fixed-point rounding costs well under one quantisation step even at quality 100
    /// (where the smallest step is 1 in orthonormal units), and on average far less: that
    /// average decides how many coefficients near a half-step round the wrong way.
    #[test]
    fn matches_reference_after_removing_the_scale() {
        let mut seed = 12345u32;
        let (mut squared_error, mut count) = (0.0, 0);
        for pattern in 0..60 {
            let mut block = [0i32; 64];
            for (i, value) in block.iter_mut().enumerate() {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *value = match pattern % 4 {
                    0 | 1 => ((seed >> 16) % 256) as i32 - 128,
                    2 => (i as i32 % 8) * 30 - 110,
                    _ => [127, -128][pattern / 4 % 2],
                };
            }
            let expected = reference_dct(&block);
            forward_dct(&mut block);
            for u in 0..8 {
                for v in 0..8 {
                    let got = block[u * 8 + v] as f64 / (output_scale(u) * output_scale(v));
                    let want = expected[u * 8 + v];
                    assert!((got - want).abs() < 0.25, "pattern {pattern} ({u},{v}): got {got}, want {want}");
                    squared_error += (got - want) * (got - want);
                    count += 1;
                }
            }
        }
        let rms = (squared_error / count as f64).sqrt();
        // Measured 0.015; with 2 spare input bits it was about 0.1.
        assert!(rms < 0.04, "RMS error {rms}");
    }
}
