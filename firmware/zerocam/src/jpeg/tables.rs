//! Constant tables from the JPEG standard (ITU-T T.81): the example quantisation tables of
//! Annex K.1, the typical Huffman tables of Annex K.3 and the zig-zag coefficient order.
//! Every decoder understands these, which is why an MJPEG stream can use them for every frame.

/// Luminance quantisation table of Annex K.1 (quality 50), row-major ("natural") order.
pub const LUMA_QUANT_BASE: [u8; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, //
    12, 12, 14, 19, 26, 58, 60, 55, //
    14, 13, 16, 24, 40, 57, 69, 56, //
    14, 17, 22, 29, 51, 87, 80, 62, //
    18, 22, 37, 56, 68, 109, 103, 77, //
    24, 35, 55, 64, 81, 104, 113, 92, //
    49, 64, 78, 87, 103, 121, 120, 101, //
    72, 92, 95, 98, 112, 100, 103, 99, //
];

/// Chrominance quantisation table of Annex K.1 (quality 50), row-major order.
pub const CHROMA_QUANT_BASE: [u8; 64] = [
    17, 18, 24, 47, 99, 99, 99, 99, //
    18, 21, 26, 66, 99, 99, 99, 99, //
    24, 26, 56, 99, 99, 99, 99, 99, //
    47, 66, 99, 99, 99, 99, 99, 99, //
    99, 99, 99, 99, 99, 99, 99, 99, //
    99, 99, 99, 99, 99, 99, 99, 99, //
    99, 99, 99, 99, 99, 99, 99, 99, //
    99, 99, 99, 99, 99, 99, 99, 99, //
];

/// `ZIGZAG[i]` is the row-major index of the i-th coefficient in zig-zag order, the order in
/// which DQT tables and entropy-coded coefficients are written.
pub const ZIGZAG: [u8; 64] = zigzag_order();

/// Walks the 15 anti-diagonals of the 8x8 block, alternating direction, as Figure 5 of T.81
/// draws it. Computed rather than typed in so it cannot hold a typo.
const fn zigzag_order() -> [u8; 64] {
    let mut order = [0u8; 64];
    let mut next = 0;
    let mut diagonal = 0; // row + col
    while diagonal < 15 {
        let first_row = if diagonal < 8 { 0 } else { diagonal - 7 };
        let last_row = if diagonal < 8 { diagonal } else { 7 };
        let mut step = 0;
        while step <= last_row - first_row {
            // Even diagonals run up and to the right, odd ones down and to the left.
            let row = if diagonal % 2 == 0 { last_row - step } else { first_row + step };
            let col = diagonal - row;
            order[next] = (row * 8 + col) as u8;
            next += 1;
            step += 1;
        }
        diagonal += 1;
    }
    order
}

/// A Huffman table as the DHT segment carries it: how many codes have each length 1..=16,
/// then the symbols in order of increasing code length.
pub struct HuffmanSpec {
    pub counts: [u8; 16],
    pub symbols: &'static [u8],
}

/// Annex K.3.1, table K.3: luminance DC differences.
pub const LUMA_DC_SPEC: HuffmanSpec = HuffmanSpec {
    counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    symbols: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};

/// Annex K.3.1, table K.4: chrominance DC differences.
pub const CHROMA_DC_SPEC: HuffmanSpec = HuffmanSpec {
    counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    symbols: &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
};

/// Annex K.3.2, table K.5: luminance AC (run, size) symbols.
pub const LUMA_AC_SPEC: HuffmanSpec = HuffmanSpec {
    counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
    symbols: &[
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22,
        0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33,
        0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x34,
        0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55,
        0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76,
        0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96,
        0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5,
        0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4,
        0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1,
        0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ],
};

/// Annex K.3.2, table K.6: chrominance AC (run, size) symbols.
pub const CHROMA_AC_SPEC: HuffmanSpec = HuffmanSpec {
    counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
    symbols: &[
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13,
        0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62,
        0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28, 0x29,
        0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54,
        0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75,
        0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
        0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3,
        0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2,
        0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea,
        0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_starts_and_ends_as_the_standard_draws_it() {
        assert_eq!(&ZIGZAG[..10], &[0, 1, 8, 16, 9, 2, 3, 10, 17, 24]);
        assert_eq!(&ZIGZAG[60..], &[47, 55, 62, 63]);
        let mut seen = [false; 64];
        for &index in &ZIGZAG {
            assert!(!seen[index as usize], "index {index} appears twice");
            seen[index as usize] = true;
        }
    }

    #[test]
    fn huffman_specs_are_consistent() {
        for spec in [&LUMA_DC_SPEC, &CHROMA_DC_SPEC, &LUMA_AC_SPEC, &CHROMA_AC_SPEC] {
            let total: usize = spec.counts.iter().map(|&c| c as usize).sum();
            assert_eq!(total, spec.symbols.len());
        }
    }

    #[test]
    fn ac_specs_cover_every_symbol_a_baseline_encoder_emits() {
        for spec in [&LUMA_AC_SPEC, &CHROMA_AC_SPEC] {
            assert_eq!(spec.symbols.len(), 162);
            let mut seen = [false; 256];
            for &symbol in spec.symbols {
                assert!(!seen[symbol as usize], "symbol {symbol:#x} appears twice");
                seen[symbol as usize] = true;
            }
            assert!(seen[0x00] && seen[0xf0], "EOB and ZRL must be present");
            for run in 0..16 {
                for size in 1..=10 {
                    assert!(seen[run << 4 | size], "missing run {run} size {size}");
                }
            }
        }
    }
}
