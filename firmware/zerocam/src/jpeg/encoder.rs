//! The encoder proper: tables prepared once, then one pass over the frame per call that
//! writes straight into the caller's buffer without allocating.

use std::cell::RefCell;

use super::bit_writer::BitWriter;
use super::error::EncodeError;
use super::headers::{self, ByteWriter, HuffmanTables, LUMA_TABLES};
use super::huffman::{encode_block, CountingCoder, HuffmanTable, SymbolCounts};
use super::huffman_optimal::fitted_table;
use super::image::Yuv420Image;
use super::planes::Frame;
use super::quant::QuantTable;
use super::tables::{
    CHROMA_AC_SPEC, CHROMA_DC_SPEC, CHROMA_QUANT_BASE, LUMA_AC_SPEC, LUMA_DC_SPEC, LUMA_QUANT_BASE,
};

/// Quality used when a caller has no opinion; a good size/quality balance for MJPEG.
pub const DEFAULT_QUALITY: u8 = 80;

/// A baseline (sequential, Huffman, 8-bit) JFIF encoder. All tables live inside the value, so
/// creating it is the only work besides encoding, and `encode` never touches the heap.
///
/// The Huffman tables follow the stream: the first frame uses the standard tables of T.81
/// Annex K, and each later frame the tables fitted to the symbols of the frame before it
/// (consecutive video frames have nearly the same statistics). That saves 1.4-16 % of the
/// bytes at the same quality (`ci/bench-jpeg-size`) for one counter increment per code. So one encoder per
/// stream; a clone carries the fitted tables with it and encodes the same bytes.
#[derive(Debug, Clone)]
pub struct JpegEncoder {
    quality: u8,
    luma_quant: QuantTable,
    chroma_quant: QuantTable,
    /// Changed by `encode` after each frame. `encode` takes `&self` so an encoder can sit
    /// beside the frame it fills; it is not re-entrant, so the borrow cannot clash.
    huffman: RefCell<EntropyTables>,
}

#[derive(Debug, Clone)]
struct EntropyTables {
    luma_dc: HuffmanTable,
    luma_ac: HuffmanTable,
    chroma_dc: HuffmanTable,
    chroma_ac: HuffmanTable,
}

impl EntropyTables {
    fn standard() -> EntropyTables {
        EntropyTables {
            luma_dc: HuffmanTable::from_spec(&LUMA_DC_SPEC),
            luma_ac: HuffmanTable::from_spec(&LUMA_AC_SPEC),
            chroma_dc: HuffmanTable::from_spec(&CHROMA_DC_SPEC),
            chroma_ac: HuffmanTable::from_spec(&CHROMA_AC_SPEC),
        }
    }

    /// Refits the tables a frame used to the symbols it coded. The alphabets are those of
    /// the standard tables, which hold every symbol a baseline encoder can emit.
    fn refit(&mut self, counts: &FrameCounts, has_chroma: bool) {
        self.luma_dc = fitted_table(&counts.luma_dc, LUMA_DC_SPEC.symbols);
        self.luma_ac = fitted_table(&counts.luma_ac, LUMA_AC_SPEC.symbols);
        if has_chroma {
            self.chroma_dc = fitted_table(&counts.chroma_dc, CHROMA_DC_SPEC.symbols);
            self.chroma_ac = fitted_table(&counts.chroma_ac, CHROMA_AC_SPEC.symbols);
        }
    }
}

/// Symbol counts of one frame, on the stack (4 KiB).
struct FrameCounts {
    luma_dc: SymbolCounts,
    luma_ac: SymbolCounts,
    chroma_dc: SymbolCounts,
    chroma_ac: SymbolCounts,
}

impl Default for JpegEncoder {
    fn default() -> Self {
        JpegEncoder::new(DEFAULT_QUALITY)
    }
}

impl JpegEncoder {
    /// `quality` follows the libjpeg scale; values outside 1..=100 are clamped into it.
    pub fn new(quality: u8) -> JpegEncoder {
        let quality = quality.clamp(1, 100);
        JpegEncoder {
            quality,
            luma_quant: QuantTable::scaled(&LUMA_QUANT_BASE, quality),
            chroma_quant: QuantTable::scaled(&CHROMA_QUANT_BASE, quality),
            huffman: RefCell::new(EntropyTables::standard()),
        }
    }

    /// The quality in effect, after clamping.
    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// Rescales the quantisation tables; cheap enough to call between frames. The fitted
    /// Huffman tables stay: the next frame refits them to the new quality anyway.
    pub fn set_quality(&mut self, quality: u8) {
        let quality = quality.clamp(1, 100);
        if quality != self.quality {
            self.quality = quality;
            self.luma_quant = QuantTable::scaled(&LUMA_QUANT_BASE, quality);
            self.chroma_quant = QuantTable::scaled(&CHROMA_QUANT_BASE, quality);
        }
    }

    /// Encodes `frame` as a complete JPEG file into `out` and returns its length.
    ///
    /// Fails with [`EncodeError::BadInput`] before writing anything useful if the frame
    /// description is inconsistent, and with [`EncodeError::OutputFull`] if the JPEG does
    /// not fit; `out` then holds no valid image. A failed frame leaves the Huffman tables as
    /// they were.
    pub fn encode(&self, frame: &Frame<'_>, out: &mut [u8]) -> Result<usize, EncodeError> {
        let layout = frame.layout()?;
        let capacity = out.len();
        let mut tables = self.huffman.borrow_mut();
        let tables = &mut *tables;

        let mut bytes = ByteWriter::new(out, 0);
        let in_use = HuffmanTables {
            luma_dc: &tables.luma_dc,
            luma_ac: &tables.luma_ac,
            chroma_dc: &tables.chroma_dc,
            chroma_ac: &tables.chroma_ac,
        };
        headers::write_headers(&mut bytes, &layout, &self.luma_quant, &self.chroma_quant, &in_use)?;
        let scan_start = bytes.position();

        let components = layout.components();
        let mcu_across = components.iter().map(|c| c.horizontal).max().unwrap_or(1) * 8;
        let mcu_down = components.iter().map(|c| c.vertical).max().unwrap_or(1) * 8;
        let mcu_columns = usize::from(layout.width).div_ceil(mcu_across);
        let mcu_rows = usize::from(layout.height).div_ceil(mcu_down);

        let mut counts =
            FrameCounts { luma_dc: [0; 256], luma_ac: [0; 256], chroma_dc: [0; 256], chroma_ac: [0; 256] };
        let mut luma_dc = CountingCoder { table: &tables.luma_dc, counts: &mut counts.luma_dc };
        let mut luma_ac = CountingCoder { table: &tables.luma_ac, counts: &mut counts.luma_ac };
        let mut chroma_dc = CountingCoder { table: &tables.chroma_dc, counts: &mut counts.chroma_dc };
        let mut chroma_ac = CountingCoder { table: &tables.chroma_ac, counts: &mut counts.chroma_ac };

        let mut bits = BitWriter::new(out, scan_start);
        let mut previous_dc = [0i32; 3];
        let mut block = [0i32; 64];
        let mut quantised = [0i32; 64];
        for mcu_row in 0..mcu_rows {
            for mcu_column in 0..mcu_columns {
                for (component, previous_dc) in components.iter().zip(previous_dc.iter_mut()) {
                    let (quant, dc, ac) = if component.tables == LUMA_TABLES {
                        (&self.luma_quant, &mut luma_dc, &mut luma_ac)
                    } else {
                        (&self.chroma_quant, &mut chroma_dc, &mut chroma_ac)
                    };
                    for block_row in 0..component.vertical {
                        let y0 = (mcu_row * component.vertical + block_row) * 8;
                        for block_column in 0..component.horizontal {
                            let x0 = (mcu_column * component.horizontal + block_column) * 8;
                            component.grid.transform_block(x0, y0, &mut block);
                            let nonzero_ac = quant.quantise(&block, &mut quantised);
                            encode_block(&mut bits, &quantised, nonzero_ac, previous_dc, dc, ac);
                        }
                    }
                }
            }
            // Checked per row of MCUs: cheap, and gives up early on a hopeless buffer.
            if bits.overflowed() {
                return Err(EncodeError::OutputFull { capacity });
            }
        }
        let scan_end = bits.finish().ok_or(EncodeError::OutputFull { capacity })?;

        let mut bytes = ByteWriter::new(out, scan_end);
        headers::write_end(&mut bytes)?;
        tables.refit(&counts, components.len() > 1);
        Ok(bytes.position())
    }

    /// Encodes an owned I420 picture (such as a rendered card) as 4:2:0.
    pub fn encode_yuv420(&self, image: &Yuv420Image, out: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode(&image.frame(), out)
    }
}
