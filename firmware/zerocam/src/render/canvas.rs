//! Drawing primitives on a [`Yuv420Image`]: rectangles and boxed text, clipped to the picture
//! so that any position or size is safe to pass.

use super::font::{self, CELL_HEIGHT, CELL_WIDTH, GLYPH_HEIGHT, GLYPH_WIDTH};
use crate::jpeg::Yuv420Image;

/// A full-range (JFIF) YCbCr colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour {
    pub y: u8,
    pub u: u8,
    pub v: u8,
}

impl Colour {
    /// JFIF RGB -> YCbCr in 8-bit fixed point, usable in constants.
    pub const fn from_rgb(r: u8, g: u8, b: u8) -> Colour {
        let (r, g, b) = (r as i32, g as i32, b as i32);
        let y = (77 * r + 150 * g + 29 * b + 128) >> 8;
        let u = ((-43 * r - 85 * g + 128 * b + 128) >> 8) + 128;
        let v = ((128 * r - 107 * g - 21 * b + 128) >> 8) + 128;
        Colour { y: clamp_u8(y), u: clamp_u8(u), v: clamp_u8(v) }
    }

    pub const fn gray(y: u8) -> Colour {
        Colour { y, u: 128, v: 128 }
    }
}

const fn clamp_u8(value: i32) -> u8 {
    if value < 0 {
        0
    } else if value > 255 {
        255
    } else {
        value as u8
    }
}

/// Text is light glyphs on a dark box, readable over any background.
pub const TEXT_INK: Colour = Colour::gray(235);
pub const TEXT_BOX: Colour = Colour::gray(16);

/// Fills the rectangle at (`x`, `y`) of `width` x `height` pixels, clipped to the picture.
/// Chroma covers every 2x2 square the rectangle touches.
pub fn fill_rect(image: &mut Yuv420Image, x: usize, y: usize, width: usize, height: usize, colour: Colour) {
    let (image_width, image_height) = (image.width as usize, image.height as usize);
    let (right, bottom) =
        (x.saturating_add(width).min(image_width), y.saturating_add(height).min(image_height));
    if x >= right || y >= bottom {
        return;
    }
    fill_plane(&mut image.y, image_width, (x, right), (y, bottom), colour.y);
    let chroma_width = image.chroma_width();
    let columns = (x / 2, right.div_ceil(2));
    let rows = (y / 2, bottom.div_ceil(2));
    fill_plane(&mut image.u, chroma_width, columns, rows, colour.u);
    fill_plane(&mut image.v, chroma_width, columns, rows, colour.v);
}

/// Fills only the Y plane, for glyph pixels whose chroma the text box already set.
fn fill_luma(image: &mut Yuv420Image, x: usize, y: usize, size: usize, value: u8) {
    let (image_width, image_height) = (image.width as usize, image.height as usize);
    let (right, bottom) = (x.saturating_add(size).min(image_width), y.saturating_add(size).min(image_height));
    if x < right && y < bottom {
        fill_plane(&mut image.y, image_width, (x, right), (y, bottom), value);
    }
}

fn fill_plane(
    plane: &mut [u8],
    stride: usize,
    (left, right): (usize, usize),
    (top, bottom): (usize, usize),
    value: u8,
) {
    for row in top..bottom {
        let start = row * stride;
        // `get_mut` keeps a picture whose planes were replaced by shorter ones from panicking.
        if let Some(span) = plane.get_mut(start + left..start + right) {
            span.fill(value);
        }
    }
}

/// Size in pixels of `text` drawn with [`draw_text`] at `scale`, box included.
pub fn text_box_size(text: &str, scale: usize) -> (usize, usize) {
    let characters = text.chars().count();
    let padding = box_padding(scale).saturating_mul(2);
    let width = if characters == 0 { 0 } else { scaled(characters * CELL_WIDTH - 1, scale) };
    (width.saturating_add(padding), scaled(GLYPH_HEIGHT, scale).saturating_add(padding))
}

/// The largest scale, up to `wanted`, at which `text` fits in `max_width` pixels; at least 1
/// (text that cannot fit even then is clipped at the picture's edge).
pub fn fitting_scale(text: &str, wanted: usize, max_width: usize) -> usize {
    let mut scale = wanted.max(1);
    while scale > 1 && text_box_size(text, scale).0 > max_width {
        scale -= 1;
    }
    scale
}

fn box_padding(scale: usize) -> usize {
    scale.max(1)
}

/// Saturating so that absurd scales clip instead of overflowing.
fn scaled(font_pixels: usize, scale: usize) -> usize {
    font_pixels.saturating_mul(scale)
}

/// Draws `text` on a dark box whose top-left corner is (`x`, `y`); returns the box size.
/// Every character outside printable ASCII shows as '?'. Each font pixel is a
/// `scale` x `scale` square.
pub fn draw_text(image: &mut Yuv420Image, x: usize, y: usize, scale: usize, text: &str) -> (usize, usize) {
    let scale = scale.max(1);
    let (box_width, box_height) = text_box_size(text, scale);
    fill_rect(image, x, y, box_width, box_height, TEXT_BOX);
    let padding = box_padding(scale);
    let (left, top) = (x.saturating_add(padding), y.saturating_add(padding));
    for (index, character) in text.chars().enumerate() {
        let cell_left = left.saturating_add(scaled(index * CELL_WIDTH, scale));
        if cell_left >= image.width as usize {
            break;
        }
        let rows = font::glyph(character);
        for row in 0..GLYPH_HEIGHT {
            for column in 0..GLYPH_WIDTH {
                if font::is_set(rows, column, row) {
                    let pixel_x = cell_left.saturating_add(scaled(column, scale));
                    let pixel_y = top.saturating_add(scaled(row, scale));
                    fill_luma(image, pixel_x, pixel_y, scale, TEXT_INK.y);
                }
            }
        }
    }
    (box_width, box_height)
}

/// Height in pixels of one line of text at `scale`, including the gap to the next line.
pub fn line_height(scale: usize) -> usize {
    scaled(CELL_HEIGHT, scale.max(1)).saturating_add(box_padding(scale).saturating_mul(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_match_the_jfif_formula() {
        assert_eq!(Colour::from_rgb(0, 0, 0), Colour { y: 0, u: 128, v: 128 });
        assert_eq!(Colour::from_rgb(255, 255, 255), Colour { y: 255, u: 128, v: 128 });
        let red = Colour::from_rgb(255, 0, 0);
        assert_eq!((red.y, red.v), (77, 255));
    }

    #[test]
    fn text_is_drawn_inside_its_box_and_clipped_at_edges() {
        let mut image = Yuv420Image::new(64, 32);
        image.y.fill(128);
        let (width, height) = draw_text(&mut image, 1, 1, 2, "Hi");
        assert_eq!((width, height), ((2 * 6 - 1) * 2 + 4, 7 * 2 + 4));
        let row = |y: usize| &image.y[y * 64..(y + 1) * 64];
        assert_eq!(row(1)[1], TEXT_BOX.y, "box corner");
        assert_eq!(row(3)[3], TEXT_INK.y, "top-left pixel of H");
        assert_eq!(row(3)[0], 128, "left of the box is untouched");
        assert!(row(30).iter().all(|&y| y == 128), "below the box is untouched");
        // Far outside, partly outside, huge scale: all clipped, none panics.
        draw_text(&mut image, 60, 30, 3, "clipped");
        draw_text(&mut image, usize::MAX - 3, usize::MAX, 1000, "x");
        draw_text(&mut image, 0, 0, usize::MAX / 2, "xy");
        fill_rect(&mut image, usize::MAX, 0, usize::MAX, usize::MAX, TEXT_BOX);
    }

    #[test]
    fn fitting_scale_shrinks_text_to_the_width() {
        assert_eq!(fitting_scale("12345", 10, 10_000), 10);
        let scale = fitting_scale("12345", 10, 100);
        assert!(text_box_size("12345", scale).0 <= 100 && text_box_size("12345", scale + 1).0 > 100);
        assert_eq!(fitting_scale("a very long line of text", 4, 10), 1);
    }
}
