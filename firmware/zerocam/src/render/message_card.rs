//! A plain card that says why there is no picture ("no camera: /dev/video0: No such device"),
//! streamed in place of camera frames so a viewer sees the reason rather than a dead stream.
//! The running clock shows that the server itself is alive.

use super::canvas::{draw_text, fill_rect, fitting_scale, line_height, text_box_size, Colour};
use super::clock::utc_clock;
use super::font::CELL_WIDTH;
use super::wrap::WrappedLines;
use crate::jpeg::Yuv420Image;

/// Dark slate blue: clearly not a camera picture, and cheap to encode.
const BACKGROUND: Colour = Colour::from_rgb(20, 28, 48);

/// Renders message cards into one picture allocated at creation.
pub struct MessageCard {
    image: Yuv420Image,
}

impl MessageCard {
    /// A card of `width` x `height` pixels; any size works, as for the test card.
    pub fn new(width: u32, height: u32) -> MessageCard {
        MessageCard { image: Yuv420Image::new(width, height) }
    }

    /// The most recently drawn card.
    pub fn image(&self) -> &Yuv420Image {
        &self.image
    }

    /// Text scale for the message: proportional to the height, about 30 lines of 1080.
    pub fn message_scale(&self) -> usize {
        (self.image.height as usize / 110).max(1)
    }

    /// How many characters fit on one message line.
    pub fn columns(&self) -> usize {
        let scale = self.message_scale();
        let usable = (self.image.width as usize).saturating_sub(2 * self.margin() + 2 * scale);
        (usable / (CELL_WIDTH * scale)).max(1)
    }

    fn margin(&self) -> usize {
        2 * self.message_scale()
    }

    /// Draws `message` (wrapped at spaces, lines that do not fit are dropped) under a header
    /// with the clock. Never allocates; any `&str` is safe, unprintable characters show as '?'.
    pub fn draw(&mut self, message: &str, unix_time_us: u64) {
        let (width, height) = (self.image.width as usize, self.image.height as usize);
        fill_rect(&mut self.image, 0, 0, width, height, BACKGROUND);
        let (scale, margin) = (self.message_scale(), self.margin());

        let clock = utc_clock(unix_time_us);
        let clock_scale = fitting_scale(&clock, scale, width.saturating_sub(2 * margin));
        let (_, header_height) = draw_text(&mut self.image, margin, margin, clock_scale, &clock);

        let mut top = margin + header_height + line_height(scale);
        for line in WrappedLines::new(message, self.columns()) {
            let (_, text_height) = text_box_size(line, scale);
            if top + text_height > height {
                break;
            }
            draw_text(&mut self.image, margin, top, scale, line);
            top += line_height(scale);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_and_clock_change_the_picture() {
        let mut card = MessageCard::new(640, 480);
        card.draw("no camera: /dev/video0: No such device", 0);
        let first = card.image().y.clone();
        card.draw("no camera: /dev/video0: No such device", 1_000);
        assert_ne!(first, card.image().y, "the clock ticks");
        card.draw("something else", 1_000);
        let other = card.image().y.clone();
        card.draw("no camera: /dev/video0: No such device", 1_000);
        assert_ne!(other, card.image().y, "the message shows");
    }

    #[test]
    fn a_typical_message_fits_without_losing_lines() {
        for (width, height) in [(160, 120), (640, 480), (1920, 1080)] {
            let card = MessageCard::new(width, height);
            let lines = WrappedLines::new("no camera: /dev/video0: No such device", card.columns()).count();
            let scale = card.message_scale();
            let needed = 2 * card.margin() + line_height(scale) * (lines + 2);
            assert!(needed <= height as usize, "{width}x{height}: {lines} lines need {needed} px");
        }
    }

    #[test]
    fn any_text_at_any_size_is_safe() {
        let texts = [
            String::new(),
            "\n\n\n".into(),
            "ünïcödé 😀 \u{0} \t tabs".into(),
            "x".repeat(10_000),
            "word ".repeat(2_000),
        ];
        for (width, height) in [(0, 0), (1, 1), (5, 3), (160, 120), (1921, 1081)] {
            let mut card = MessageCard::new(width, height);
            for text in &texts {
                card.draw(text, u64::MAX);
            }
        }
    }
}
