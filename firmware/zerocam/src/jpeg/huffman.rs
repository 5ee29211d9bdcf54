//! Huffman code tables and the entropy coder for one quantised block (T.81 F.1.2).

use super::bit_writer::BitWriter;
use super::tables::HuffmanSpec;

/// How often each symbol byte was coded with one table during a frame; the next frame's
/// table is built from it (see `huffman_optimal.rs`).
pub type SymbolCounts = [u32; 256];

#[derive(Debug, Clone, Copy, Default)]
struct Code {
    bits: u16,
    length: u8,
}

/// A code for every possible symbol byte, looked up directly while encoding, and the same
/// table as the DHT segment carries it.
#[derive(Debug, Clone)]
pub struct HuffmanTable {
    codes: [Code; 256],
    /// How many codes have each length 1..=16.
    counts: [u8; 16],
    /// The symbols in order of increasing code length; `symbols[..symbol_count]` is used.
    symbols: [u8; 256],
    symbol_count: usize,
}

/// End of block: all remaining AC coefficients are zero.
const EOB: usize = 0x00;
/// Zero run length: sixteen zero AC coefficients.
const ZRL: usize = 0xF0;

impl HuffmanTable {
    /// Builds the canonical code of T.81 Annex C: codes of each length are consecutive
    /// numbers, and moving to the next length appends a zero bit.
    pub fn from_spec(spec: &HuffmanSpec) -> HuffmanTable {
        HuffmanTable::from_counts(&spec.counts, spec.symbols)
    }

    /// The same from DHT-style parts; `symbols` holds at most 256 entries (extra ones and
    /// symbols beyond the sum of `counts` are ignored).
    pub fn from_counts(counts: &[u8; 16], symbols: &[u8]) -> HuffmanTable {
        let mut table = HuffmanTable {
            codes: [Code::default(); 256],
            counts: *counts,
            symbols: [0; 256],
            symbol_count: 0,
        };
        let mut code = 0u16;
        let mut listed = symbols.iter().take(256);
        for (length_minus_one, &count) in counts.iter().enumerate() {
            for &symbol in listed.by_ref().take(count as usize) {
                table.codes[symbol as usize] = Code { bits: code, length: length_minus_one as u8 + 1 };
                table.symbols[table.symbol_count] = symbol;
                table.symbol_count += 1;
                code = code.wrapping_add(1);
            }
            code = code.wrapping_shl(1);
        }
        table
    }

    /// The code counts per length, as the DHT segment carries them.
    pub fn dht_counts(&self) -> &[u8; 16] {
        &self.counts
    }

    /// The symbols in code order, as the DHT segment carries them.
    pub fn dht_symbols(&self) -> &[u8] {
        &self.symbols[..self.symbol_count]
    }

    /// The code length of `symbol`, 0 if it has no code.
    #[cfg(test)]
    pub fn code_length(&self, symbol: u8) -> u8 {
        self.codes[symbol as usize].length
    }

    /// Writes the code of `symbol` immediately followed by `extra_count` extra bits, as one
    /// write: the longest case is a 16-bit code plus 11 bits.
    #[inline(always)]
    fn put(&self, writer: &mut BitWriter<'_>, symbol: usize, extra: u32, extra_count: u32) {
        let code = self.codes[symbol & 0xFF];
        writer.put((u32::from(code.bits) << extra_count) | extra, u32::from(code.length) + extra_count);
    }
}

/// A table in use for one frame together with the counts of what it coded.
pub struct CountingCoder<'t> {
    pub table: &'t HuffmanTable,
    pub counts: &'t mut SymbolCounts,
}

impl CountingCoder<'_> {
    #[inline(always)]
    fn put(&mut self, writer: &mut BitWriter<'_>, symbol: usize, extra: u32, extra_count: u32) {
        // Wrapping: only a frame of over 4 billion symbols could wrap, and that only makes
        // the next table less good, never invalid (every symbol keeps a code).
        let count = &mut self.counts[symbol & 0xFF];
        *count = count.wrapping_add(1);
        self.table.put(writer, symbol, extra, extra_count);
    }
}

/// The size category of a coefficient (bits needed for its magnitude) and the bits that
/// represent it: the value itself when positive, its ones' complement when negative.
#[inline(always)]
fn category_and_bits(value: i32) -> (u32, u32) {
    let sign = value >> 31;
    let magnitude = ((value ^ sign) - sign) as u32;
    let category = 32 - magnitude.leading_zeros();
    let bits = (value + sign) as u32 & ((1u32 << category) - 1);
    (category, bits)
}

/// Entropy-codes one block of quantised coefficients in zig-zag order. `nonzero_ac` has bit k
/// set for each non-zero AC coefficient k, as `QuantTable::quantise` returns it.
#[inline]
pub fn encode_block(
    writer: &mut BitWriter<'_>,
    zigzag: &[i32; 64],
    mut nonzero_ac: u64,
    previous_dc: &mut i32,
    dc: &mut CountingCoder<'_>,
    ac: &mut CountingCoder<'_>,
) {
    let dc_value = zigzag[0];
    let (category, bits) = category_and_bits(dc_value - *previous_dc);
    *previous_dc = dc_value;
    dc.put(writer, category as usize, bits, category);

    let mut last = 0u32;
    while nonzero_ac != 0 {
        let position = nonzero_ac.trailing_zeros();
        nonzero_ac &= nonzero_ac - 1;
        let mut run = position - last - 1;
        while run >= 16 {
            ac.put(writer, ZRL, 0, 0);
            run -= 16;
        }
        let (category, bits) = category_and_bits(zigzag[position as usize]);
        ac.put(writer, (run << 4 | category) as usize, bits, category);
        last = position;
    }
    if last != 63 {
        ac.put(writer, EOB, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::super::tables::{LUMA_AC_SPEC, LUMA_DC_SPEC};
    use super::*;

    #[test]
    fn canonical_codes_match_table_k3() {
        let dc = HuffmanTable::from_spec(&LUMA_DC_SPEC);
        // Table K.3: category 0 -> "00", 1 -> "010", 5 -> "110", 11 -> "111111110".
        assert_eq!((dc.codes[0].bits, dc.codes[0].length), (0b00, 2));
        assert_eq!((dc.codes[1].bits, dc.codes[1].length), (0b010, 3));
        assert_eq!((dc.codes[5].bits, dc.codes[5].length), (0b110, 3));
        assert_eq!((dc.codes[11].bits, dc.codes[11].length), (0b1_1111_1110, 9));
        let ac = HuffmanTable::from_spec(&LUMA_AC_SPEC);
        // Table K.5: EOB -> "1010", 0/1 -> "00", ZRL -> "11111111001".
        assert_eq!((ac.codes[EOB].bits, ac.codes[EOB].length), (0b1010, 4));
        assert_eq!((ac.codes[0x01].bits, ac.codes[0x01].length), (0b00, 2));
        assert_eq!((ac.codes[ZRL].bits, ac.codes[ZRL].length), (0b111_1111_1001, 11));
    }

    #[test]
    fn categories() {
        assert_eq!(category_and_bits(0), (0, 0));
        assert_eq!(category_and_bits(1), (1, 1));
        assert_eq!(category_and_bits(-1), (1, 0));
        assert_eq!(category_and_bits(5), (3, 0b101));
        assert_eq!(category_and_bits(-5), (3, 0b010));
        assert_eq!(category_and_bits(-2047), (11, 0));
        assert_eq!(category_and_bits(1023), (10, 1023));
    }
}
