//! The encoder proper: tables prepared once, then one pass over the frame per call that
//! writes straight into the caller's buffer without allocating.

use super::bit_writer::BitWriter;
use super::dct::forward_dct;
use super::error::EncodeError;
use super::headers::{self, ByteWriter, LUMA_TABLES};
use super::huffman::{encode_block, HuffmanTable};
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
#[derive(Debug, Clone)]
pub struct JpegEncoder {
    quality: u8,
    luma_quant: QuantTable,
    chroma_quant: QuantTable,
    luma_dc: HuffmanTable,
    luma_ac: HuffmanTable,
    chroma_dc: HuffmanTable,
    chroma_ac: HuffmanTable,
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
            luma_dc: HuffmanTable::from_spec(&LUMA_DC_SPEC),
            luma_ac: HuffmanTable::from_spec(&LUMA_AC_SPEC),
            chroma_dc: HuffmanTable::from_spec(&CHROMA_DC_SPEC),
            chroma_ac: HuffmanTable::from_spec(&CHROMA_AC_SPEC),
        }
    }

    /// The quality in effect, after clamping.
    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// Rescales the quantisation tables; cheap enough to call between frames.
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
    /// not fit; `out` then holds no valid image.
    pub fn encode(&self, frame: &Frame<'_>, out: &mut [u8]) -> Result<usize, EncodeError> {
        let layout = frame.layout()?;
        let capacity = out.len();

        let mut bytes = ByteWriter::new(out, 0);
        headers::write_headers(&mut bytes, &layout, &self.luma_quant, &self.chroma_quant)?;
        let scan_start = bytes.position();

        let components = layout.components();
        let mcu_across = components.iter().map(|c| c.horizontal).max().unwrap_or(1) * 8;
        let mcu_down = components.iter().map(|c| c.vertical).max().unwrap_or(1) * 8;
        let mcu_columns = usize::from(layout.width).div_ceil(mcu_across);
        let mcu_rows = usize::from(layout.height).div_ceil(mcu_down);

        let mut bits = BitWriter::new(out, scan_start);
        let mut previous_dc = [0i32; 3];
        let mut block = [0i32; 64];
        let mut quantised = [0i32; 64];
        for mcu_row in 0..mcu_rows {
            for mcu_column in 0..mcu_columns {
                for (component, previous_dc) in components.iter().zip(previous_dc.iter_mut()) {
                    let (quant, dc, ac) = if component.tables == LUMA_TABLES {
                        (&self.luma_quant, &self.luma_dc, &self.luma_ac)
                    } else {
                        (&self.chroma_quant, &self.chroma_dc, &self.chroma_ac)
                    };
                    for block_row in 0..component.vertical {
                        let y0 = (mcu_row * component.vertical + block_row) * 8;
                        for block_column in 0..component.horizontal {
                            let x0 = (mcu_column * component.horizontal + block_column) * 8;
                            component.grid.load_block(x0, y0, &mut block);
                            forward_dct(&mut block);
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
        Ok(bytes.position())
    }

    /// Encodes an owned I420 picture (such as a rendered card) as 4:2:0.
    pub fn encode_yuv420(&self, image: &Yuv420Image, out: &mut [u8]) -> Result<usize, EncodeError> {
        self.encode(&image.frame(), out)
    }
}
