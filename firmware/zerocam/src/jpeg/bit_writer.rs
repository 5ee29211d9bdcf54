//! Writes the entropy-coded segment: a stream of variable-length codes packed MSB first,
//! where every 0xFF byte must be followed by a stuffed 0x00 so a decoder cannot mistake it
//! for a marker.
//!
//! Bits collect in a 64-bit accumulator and leave 32 at a time. The common case, a word
//! without any 0xFF byte and room in the buffer, is one bounds check and a 4-byte copy.
//! Running out of room does not stop the caller mid-block: it sets a sticky flag that the
//! encoder checks once per MCU row, keeping the per-code path free of error branches.

pub struct BitWriter<'a> {
    out: &'a mut [u8],
    position: usize,
    /// Pending bits in the low `pending` bits; higher bits are stale and ignored.
    accumulator: u64,
    pending: u32,
    overflowed: bool,
}

/// True when no byte of `word` is 0xFF (the classic "has zero byte" test applied to !word).
#[inline(always)]
fn has_no_ff_byte(word: u32) -> bool {
    let inverted = !word;
    (inverted.wrapping_sub(0x0101_0101) & !inverted & 0x8080_8080) == 0
}

impl<'a> BitWriter<'a> {
    /// Starts writing at `out[position..]`.
    pub fn new(out: &'a mut [u8], position: usize) -> Self {
        BitWriter { out, position, accumulator: 0, pending: 0, overflowed: false }
    }

    /// True once any byte did not fit; the output is then unusable.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Appends the low `count` bits of `bits` (count <= 32, higher bits must be zero).
    #[inline(always)]
    pub fn put(&mut self, bits: u32, count: u32) {
        // pending < 32 on entry, so at most 63 bits are live after the shift.
        self.accumulator = (self.accumulator << count) | u64::from(bits);
        self.pending += count;
        if self.pending >= 32 {
            self.pending -= 32;
            self.emit_word((self.accumulator >> self.pending) as u32);
        }
    }

    #[inline(always)]
    fn emit_word(&mut self, word: u32) {
        // 8 bytes of room covers the word even if every byte needs stuffing.
        let room = self.out.len().saturating_sub(self.position);
        if room >= 8 && has_no_ff_byte(word) {
            self.out[self.position..self.position + 4].copy_from_slice(&word.to_be_bytes());
            self.position += 4;
        } else {
            for byte in word.to_be_bytes() {
                self.emit_byte(byte);
            }
        }
    }

    fn emit_byte(&mut self, byte: u8) {
        self.push_raw(byte);
        if byte == 0xFF {
            self.push_raw(0x00);
        }
    }

    fn push_raw(&mut self, byte: u8) {
        match self.out.get_mut(self.position) {
            Some(slot) => {
                *slot = byte;
                self.position += 1;
            }
            None => self.overflowed = true,
        }
    }

    /// Pads the last byte with 1 bits (T.81 F.1.2.3) and flushes. Returns the position after
    /// the segment, or `None` if the buffer ran out at any point.
    pub fn finish(mut self) -> Option<usize> {
        let padding = (8 - self.pending % 8) % 8;
        self.put((1 << padding) - 1, padding);
        while self.pending >= 8 {
            self.pending -= 8;
            self.emit_byte((self.accumulator >> self.pending) as u8);
        }
        if self.overflowed {
            None
        } else {
            Some(self.position)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_msb_first_and_pads_with_ones() {
        let mut buf = [0u8; 16];
        let mut writer = BitWriter::new(&mut buf, 0);
        writer.put(0b101, 3);
        writer.put(0b0, 1);
        writer.put(0b11, 2);
        assert_eq!(writer.finish(), Some(1));
        assert_eq!(buf[0], 0b1010_1111);
    }

    #[test]
    fn stuffs_ff_bytes_in_both_paths() {
        let mut buf = [0u8; 32];
        let mut writer = BitWriter::new(&mut buf, 2);
        writer.put(0x12FF_3456, 32);
        writer.put(0xFF, 8);
        assert_eq!(writer.finish(), Some(2 + 6 + 1));
        assert_eq!(&buf[2..9], &[0x12, 0xFF, 0x00, 0x34, 0x56, 0xFF, 0x00]);
    }

    #[test]
    fn reports_overflow_instead_of_truncating() {
        let mut buf = [0u8; 5];
        let mut writer = BitWriter::new(&mut buf, 0);
        writer.put(0x0102_0304, 32);
        writer.put(0x0506_0708, 32);
        assert!(writer.overflowed());
        assert_eq!(writer.finish(), None);
    }

    #[test]
    fn ff_detection() {
        assert!(has_no_ff_byte(0x0000_0000));
        assert!(has_no_ff_byte(0xFEFE_FEFE));
        assert!(!has_no_ff_byte(0x00FF_0000));
        assert!(!has_no_ff_byte(0x0000_00FF));
        assert!(!has_no_ff_byte(0xFF00_0000));
    }
}
