//! Breaks a message into lines of at most N characters without allocating: each line is a
//! slice of the original text.

/// Iterator over the lines of `text` wrapped at `columns` characters. Lines break at
/// newlines, else at the last space that fits, else (one long word, such as a path) in the
/// middle of the word. The space or newline a line breaks at is not part of either line.
pub struct WrappedLines<'a> {
    rest: Option<&'a str>,
    columns: usize,
}

impl<'a> WrappedLines<'a> {
    pub fn new(text: &'a str, columns: usize) -> Self {
        WrappedLines { rest: if text.is_empty() { None } else { Some(text) }, columns: columns.max(1) }
    }
}

impl<'a> Iterator for WrappedLines<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        let mut last_space = None;
        // Byte offset where the (columns + 1)-th character starts, if the text is that long.
        let mut overflow_at = None;
        for (count, (offset, character)) in rest.char_indices().enumerate() {
            if count == self.columns {
                overflow_at = Some((offset, character));
                break;
            }
            match character {
                '\n' => return Some(self.split(rest, offset, 1)),
                ' ' if count > 0 => last_space = Some(offset),
                _ => {}
            }
        }
        match (overflow_at, last_space) {
            (None, _) => {
                self.rest = None;
                Some(rest)
            }
            // The character that no longer fits is itself a break: the line is exactly full.
            (Some((offset, ' ' | '\n')), _) => Some(self.split(rest, offset, 1)),
            (Some(_), Some(space)) => Some(self.split(rest, space, 1)),
            (Some((offset, _)), None) => Some(self.split(rest, offset, 0)),
        }
    }
}

impl<'a> WrappedLines<'a> {
    /// Ends the line at byte `at` and skips `skip` separator bytes after it.
    fn split(&mut self, rest: &'a str, at: usize, skip: usize) -> &'a str {
        let remaining = &rest[at + skip..];
        self.rest = if remaining.is_empty() { None } else { Some(remaining) };
        &rest[..at]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(text: &str, columns: usize) -> Vec<&str> {
        WrappedLines::new(text, columns).collect()
    }

    #[test]
    fn breaks_at_spaces_then_inside_words() {
        assert_eq!(
            wrap("no camera: /dev/video0: No such device", 16),
            ["no camera:", "/dev/video0: No", "such device"]
        );
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("abcd efgh", 4), ["abcd", "efgh"]);
        assert_eq!(wrap("short", 40), ["short"]);
        assert_eq!(wrap("", 10), Vec::<&str>::new());
    }

    #[test]
    fn honours_newlines_and_multibyte_characters() {
        assert_eq!(wrap("one\ntwo\n\nfour", 10), ["one", "two", "", "four"]);
        assert_eq!(wrap("ééééé", 2), ["éé", "éé", "é"]);
        assert_eq!(wrap("a😀b c", 3), ["a😀b", "c"]);
    }

    #[test]
    fn always_makes_progress() {
        for text in [" ", "  ", "\n", " \n ", "a  b", "x\u{0}y", "     word"] {
            for columns in [0, 1, 2, 3] {
                let lines = wrap(text, columns);
                assert!(lines.len() <= text.len() + 1, "{text:?} at {columns}");
                assert!(lines.iter().all(|line| line.chars().count() <= columns.max(1)));
            }
        }
    }
}
