//! The test card: what zerocam streams when it has no camera, or to check a set-up end to
//! end. Colour bars over a grey ramp, a square that moves every frame, the frame number in
//! large digits and the UTC clock, so anyone looking can tell the stream is live and how
//! smooth it is.

use core::fmt::Write;

use super::canvas::{draw_text, fill_rect, fitting_scale, line_height, text_box_size, Colour};
use super::clock::utc_clock;
use super::font::CELL_WIDTH;
use super::wrap::WrappedLines;
use crate::jpeg::Yuv420Image;

/// 75% colour bars in the classic order: white, yellow, cyan, green, magenta, red, blue, black.
const BARS: [Colour; 8] = [
    Colour::from_rgb(191, 191, 191),
    Colour::from_rgb(191, 191, 0),
    Colour::from_rgb(0, 191, 191),
    Colour::from_rgb(0, 191, 0),
    Colour::from_rgb(191, 0, 191),
    Colour::from_rgb(191, 0, 0),
    Colour::from_rgb(0, 0, 191),
    Colour::from_rgb(0, 0, 0),
];

const MOVER_FILL: Colour = Colour::from_rgb(255, 255, 255);
const MOVER_EDGE: Colour = Colour::from_rgb(255, 40, 0);

/// Frames the moving square takes to cross the picture once.
const FRAMES_PER_CROSSING: usize = 90;

/// Where things go on a card of a given size; computed once in [`TestCard::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestCardLayout {
    /// Luma rows `0..bars_bottom` show the bars, the rest the ramp. Even, so chroma rows
    /// split at the same place.
    pub bars_bottom: usize,
    pub mover_size: usize,
    pub mover_top: usize,
    /// Wanted text scales; the drawn text shrinks further if it would not fit the width.
    pub number_scale: usize,
    pub clock_scale: usize,
    pub label_scale: usize,
}

impl TestCardLayout {
    pub fn for_size(width: usize, height: usize) -> TestCardLayout {
        let bars_bottom = (height * 2 / 3) & !1;
        let mover_size = (height / 8).max(2);
        TestCardLayout {
            bars_bottom,
            mover_size,
            mover_top: bars_bottom.saturating_sub(mover_size / 2),
            number_scale: (height / 45).max(1),
            clock_scale: (height / 110).max(1),
            label_scale: (height / 220).max(1).min(width / 200 + 1),
        }
    }

    /// Left edge of the moving square in frame `frame_number`: back and forth across the width.
    pub fn mover_left(&self, width: usize, frame_number: u64) -> usize {
        let travel = width.saturating_sub(self.mover_size);
        if travel == 0 {
            return 0;
        }
        let step = (travel / FRAMES_PER_CROSSING).max(1);
        let period = 2 * travel as u64;
        let phase = (frame_number.wrapping_mul(step as u64) % period) as usize;
        if phase <= travel {
            phase
        } else {
            2 * travel - phase
        }
    }
}

/// Renders test card frames into one picture allocated at creation.
pub struct TestCard {
    image: Yuv420Image,
    layout: TestCardLayout,
    /// One precomputed row of each band per plane: drawing the background is row copies.
    bars_y: Box<[u8]>,
    bars_u: Box<[u8]>,
    bars_v: Box<[u8]>,
    ramp_y: Box<[u8]>,
    /// Shown under the label, wrapped: why the test card is showing instead of a camera.
    caption: String,
}

impl TestCard {
    /// A card of `width` x `height` pixels. Any size works; a side of 0 gives an empty
    /// picture (which the encoder rejects). Sides above 65535 cannot be encoded as JPEG.
    pub fn new(width: u32, height: u32) -> TestCard {
        let image = Yuv420Image::new(width, height);
        let (w, chroma_w) = (width as usize, image.chroma_width());
        let bar_of = |x: usize| BARS[(x * BARS.len() / w.max(1)).min(BARS.len() - 1)];
        // Chroma sample cx covers luma columns 2cx and 2cx+1; take the bar of the first.
        let bars_y = (0..w).map(|x| bar_of(x).y).collect();
        let bars_u = (0..chroma_w).map(|cx| bar_of(2 * cx).u).collect();
        let bars_v = (0..chroma_w).map(|cx| bar_of(2 * cx).v).collect();
        let ramp_y = (0..w).map(|x| (x * 256 / w.max(1)) as u8).collect();
        TestCard {
            layout: TestCardLayout::for_size(w, height as usize),
            image,
            bars_y,
            bars_u,
            bars_v,
            ramp_y,
            caption: String::new(),
        }
    }

    /// Text drawn on every frame under the label, e.g. why a camera is not running.
    pub fn set_caption(&mut self, caption: &str) {
        self.caption = caption.to_owned();
    }

    /// The most recently drawn frame.
    pub fn image(&self) -> &Yuv420Image {
        &self.image
    }

    pub fn layout(&self) -> &TestCardLayout {
        &self.layout
    }

    /// Draws frame `frame_number` captured at `unix_time_us`, in place, without allocating.
    pub fn draw(&mut self, frame_number: u64, unix_time_us: u64) {
        self.draw_background();
        let (width, height) = (self.image.width as usize, self.image.height as usize);
        let layout = self.layout;

        let left = layout.mover_left(width, frame_number);
        let edge = (layout.mover_size / 8).max(1);
        fill_rect(&mut self.image, left, layout.mover_top, layout.mover_size, layout.mover_size, MOVER_EDGE);
        let inner = layout.mover_size.saturating_sub(2 * edge);
        fill_rect(&mut self.image, left + edge, layout.mover_top + edge, inner, inner, MOVER_FILL);

        let mut number = heapless::String::<24>::new();
        // Cannot fail: '#' and at most 20 digits.
        let _ = write!(number, "#{frame_number}");
        let scale = fitting_scale(&number, layout.number_scale, width);
        let (number_width, number_height) = text_box_size(&number, scale);
        let number_top = (layout.bars_bottom / 2).saturating_sub(number_height / 2);
        draw_text(&mut self.image, centred(width, number_width), number_top, scale, &number);

        let clock = utc_clock(unix_time_us);
        let scale = fitting_scale(&clock, layout.clock_scale, width);
        let (clock_width, clock_height) = text_box_size(&clock, scale);
        let ramp_middle = (layout.bars_bottom + height) / 2 + layout.mover_size / 4;
        let clock_top = ramp_middle.saturating_sub(clock_height / 2).min(height.saturating_sub(clock_height));
        draw_text(&mut self.image, centred(width, clock_width), clock_top, scale, &clock);

        let mut label = heapless::String::<40>::new();
        let _ = write!(label, "zerocam {}x{}", self.image.width, self.image.height);
        let scale = fitting_scale(&label, layout.label_scale, width);
        let (_, label_height) = draw_text(&mut self.image, scale, scale, scale, &label);

        // The caption wraps below the label, over the bars, and stops above the number.
        let columns = width.saturating_sub(4 * scale) / (CELL_WIDTH * scale);
        let mut top = scale + label_height;
        for line in WrappedLines::new(&self.caption, columns) {
            if top + line_height(scale) > number_top {
                break;
            }
            draw_text(&mut self.image, scale, top, scale, line);
            top += line_height(scale);
        }
    }

    fn draw_background(&mut self) {
        let image = &mut self.image;
        let width = image.width as usize;
        if width == 0 {
            return;
        }
        for (row, line) in image.y.chunks_exact_mut(width).enumerate() {
            line.copy_from_slice(if row < self.layout.bars_bottom { &self.bars_y } else { &self.ramp_y });
        }
        let chroma_width = image.chroma_width();
        let chroma_bars_bottom = self.layout.bars_bottom / 2;
        let chroma_rows = image.u.chunks_exact_mut(chroma_width).zip(image.v.chunks_exact_mut(chroma_width));
        for (row, (u, v)) in chroma_rows.enumerate() {
            if row < chroma_bars_bottom {
                u.copy_from_slice(&self.bars_u);
                v.copy_from_slice(&self.bars_v);
            } else {
                u.fill(128);
                v.fill(128);
            }
        }
    }
}

/// Left edge that centres something `inner` wide in `outer`.
fn centred(outer: usize, inner: usize) -> usize {
    outer.saturating_sub(inner) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_frames_differ() {
        let mut card = TestCard::new(320, 240);
        card.draw(41, 1_000_000);
        let first = card.image().y.clone();
        card.draw(42, 1_000_000);
        assert_ne!(first, card.image().y, "frame number and mover must change the picture");
        card.draw(42, 1_033_000);
        let same_frame_later = card.image().y.clone();
        card.draw(42, 1_033_000);
        assert_eq!(same_frame_later, card.image().y, "drawing is deterministic");
    }

    #[test]
    fn a_caption_is_drawn_and_odd_sizes_survive_it() {
        let mut card = TestCard::new(640, 480);
        card.draw(7, 0);
        let plain = card.image().y.clone();
        card.set_caption("replay file /dev/zero: not a regular file (a character device)");
        card.draw(7, 0);
        assert_ne!(plain, card.image().y, "the caption shows");
        for (width, height) in [(0, 0), (1, 1), (17, 9), (160, 120)] {
            let mut card = TestCard::new(width, height);
            card.set_caption("a long reason that has to wrap over several lines of a small card");
            card.draw(1, 0);
        }
    }

    #[test]
    fn the_mover_moves_and_stays_inside() {
        let layout = TestCardLayout::for_size(640, 480);
        let positions: Vec<usize> = (0..500).map(|n| layout.mover_left(640, n)).collect();
        assert!(positions.windows(2).all(|pair| pair[0] != pair[1]), "moves every frame");
        assert!(positions.iter().all(|&left| left + layout.mover_size <= 640));
        assert_eq!(layout.mover_left(640, u64::MAX), layout.mover_left(640, u64::MAX));
    }

    #[test]
    fn text_fits_at_every_supported_size() {
        for (width, height) in [(160, 120), (320, 240), (640, 480), (1280, 720), (1920, 1080)] {
            let layout = TestCardLayout::for_size(width, height);
            for text in ["#18446744073709551615", "#1", "23:59:59.999 UTC"] {
                let wanted = if text.starts_with('#') { layout.number_scale } else { layout.clock_scale };
                let (text_width, text_height) = text_box_size(text, fitting_scale(text, wanted, width));
                assert!(text_width <= width, "{text} at {width}x{height}");
                assert!(text_height <= height / 3, "{text} at {width}x{height}");
            }
            // The frame number is big: at least a tenth of the height for short numbers.
            let (_, number_height) = text_box_size("#123", fitting_scale("#123", layout.number_scale, width));
            assert!(number_height * 10 >= height, "{width}x{height}");
        }
    }

    #[test]
    fn odd_tiny_and_huge_sizes_do_not_panic() {
        for (width, height) in
            [(0, 0), (0, 10), (10, 0), (1, 1), (2, 1), (3, 5), (17, 9), (161, 121), (3840, 2160)]
        {
            let mut card = TestCard::new(width, height);
            card.draw(0, 0);
            card.draw(u64::MAX, u64::MAX);
        }
    }
}
