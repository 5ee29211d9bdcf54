//! The marker segments in front of the entropy-coded data (SOI, APP0, DQT, SOF0, DHT, SOS)
//! and the EOI after it.

use super::error::EncodeError;
use super::huffman::HuffmanTable;
use super::planes::Layout;
use super::quant::QuantTable;

/// Appends bytes to the caller's buffer, failing with `OutputFull` instead of panicking.
pub struct ByteWriter<'a> {
    out: &'a mut [u8],
    position: usize,
}

impl<'a> ByteWriter<'a> {
    pub fn new(out: &'a mut [u8], position: usize) -> Self {
        ByteWriter { out, position }
    }

    pub fn position(&self) -> usize {
        self.position
    }

    pub fn put_bytes(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        let end = self.position + bytes.len();
        let capacity = self.out.len();
        let target = self.out.get_mut(self.position..end).ok_or(EncodeError::OutputFull { capacity })?;
        target.copy_from_slice(bytes);
        self.position = end;
        Ok(())
    }

    pub fn put_u8(&mut self, value: u8) -> Result<(), EncodeError> {
        self.put_bytes(&[value])
    }

    pub fn put_u16(&mut self, value: u16) -> Result<(), EncodeError> {
        self.put_bytes(&value.to_be_bytes())
    }

    /// A marker followed by its 16-bit length, which counts itself but not the marker.
    fn start_segment(&mut self, marker: u8, payload_len: usize) -> Result<(), EncodeError> {
        self.put_bytes(&[0xFF, marker])?;
        // Every segment this encoder writes is far below 64 KiB.
        self.put_u16((payload_len + 2) as u16)
    }
}

const SOI: u8 = 0xD8;
const APP0: u8 = 0xE0;
const DQT: u8 = 0xDB;
const SOF0: u8 = 0xC0;
const DHT: u8 = 0xC4;
const SOS: u8 = 0xDA;
const EOI: u8 = 0xD9;

/// Table slot 0 holds the luminance tables, slot 1 the chrominance ones.
pub const LUMA_TABLES: u8 = 0;
pub const CHROMA_TABLES: u8 = 1;

/// The four Huffman tables of a frame; the chroma pair is only written for colour frames.
pub struct HuffmanTables<'t> {
    pub luma_dc: &'t HuffmanTable,
    pub luma_ac: &'t HuffmanTable,
    pub chroma_dc: &'t HuffmanTable,
    pub chroma_ac: &'t HuffmanTable,
}

/// Writes everything from SOI up to and including the SOS segment.
pub fn write_headers(
    writer: &mut ByteWriter<'_>,
    layout: &Layout<'_>,
    luma: &QuantTable,
    chroma: &QuantTable,
    huffman: &HuffmanTables<'_>,
) -> Result<(), EncodeError> {
    let components = layout.components();
    let has_chroma = components.len() > 1;

    writer.put_bytes(&[0xFF, SOI])?;

    // JFIF 1.01, no units, 1:1 pixel aspect, no thumbnail.
    writer.start_segment(APP0, 14)?;
    writer.put_bytes(b"JFIF\0")?;
    writer.put_bytes(&[1, 1, 0, 0, 1, 0, 1, 0, 0])?;

    let tables: &[(&QuantTable, u8)] =
        if has_chroma { &[(luma, LUMA_TABLES), (chroma, CHROMA_TABLES)] } else { &[(luma, LUMA_TABLES)] };
    writer.start_segment(DQT, tables.len() * 65)?;
    for (table, slot) in tables {
        writer.put_u8(*slot)?; // 8-bit precision in the high nibble, slot in the low one
        writer.put_bytes(&table.zigzag)?;
    }

    writer.start_segment(SOF0, 6 + 3 * components.len())?;
    writer.put_u8(8)?; // bits per sample
    writer.put_u16(layout.height)?;
    writer.put_u16(layout.width)?;
    writer.put_u8(components.len() as u8)?;
    for component in components {
        writer.put_u8(component.id)?;
        writer.put_u8((component.horizontal as u8) << 4 | component.vertical as u8)?;
        writer.put_u8(component.tables)?;
    }

    let all_huffman: [(&HuffmanTable, u8); 4] = [
        (huffman.luma_dc, LUMA_TABLES),
        (huffman.luma_ac, 0x10 | LUMA_TABLES),
        (huffman.chroma_dc, CHROMA_TABLES),
        (huffman.chroma_ac, 0x10 | CHROMA_TABLES),
    ];
    let huffman = if has_chroma { &all_huffman[..] } else { &all_huffman[..2] };
    let payload: usize = huffman.iter().map(|(table, _)| 1 + 16 + table.dht_symbols().len()).sum();
    writer.start_segment(DHT, payload)?;
    for (table, class_and_slot) in huffman {
        writer.put_u8(*class_and_slot)?;
        writer.put_bytes(table.dht_counts())?;
        writer.put_bytes(table.dht_symbols())?;
    }

    writer.start_segment(SOS, 1 + 2 * components.len() + 3)?;
    writer.put_u8(components.len() as u8)?;
    for component in components {
        writer.put_u8(component.id)?;
        writer.put_u8(component.tables << 4 | component.tables)?; // DC and AC table slots
    }
    // Spectral selection 0..63 and no successive approximation: a sequential scan.
    writer.put_bytes(&[0, 63, 0])
}

/// Writes the EOI marker.
pub fn write_end(writer: &mut ByteWriter<'_>) -> Result<(), EncodeError> {
    writer.put_bytes(&[0xFF, EOI])
}
