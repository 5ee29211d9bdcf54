//! Value types of the configuration, each parsed from the text a user writes.

use serde::de::{Deserialize, Deserializer, Error as _};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A frame size such as `640x480`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolution {
    pub width: u32,
    pub height: u32,
}

impl Resolution {
    pub const VGA: Resolution = Resolution { width: 640, height: 480 };
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

impl FromStr for Resolution {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("bad size {text:?}: expected WIDTHxHEIGHT, e.g. 640x480, each 16..=4096");
        let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
        let width: u32 = w.trim().parse().map_err(|_| bad())?;
        let height: u32 = h.trim().parse().map_err(|_| bad())?;
        if !(16..=4096).contains(&width) || !(16..=4096).contains(&height) {
            return Err(bad());
        }
        Ok(Resolution { width, height })
    }
}

/// Where a camera's frames come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Generated frames: the default, so the program always shows something.
    TestPattern,
    /// An MJPEG file (concatenated JPEGs) played in a loop.
    Replay(PathBuf),
    /// A V4L2 capture device such as /dev/video0.
    V4l2(PathBuf),
    /// A CSI camera through libcamera, optionally by id.
    Libcamera(Option<String>),
    /// The first camera found (libcamera where built in, else V4L2); the test pattern
    /// while there is none, looking again now and then.
    Auto,
}

impl SourceSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            SourceSpec::TestPattern => "testpattern",
            SourceSpec::Replay(_) => "replay",
            SourceSpec::V4l2(_) => "v4l2",
            SourceSpec::Libcamera(_) => "libcamera",
            SourceSpec::Auto => "auto",
        }
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::TestPattern => f.write_str("testpattern"),
            SourceSpec::Replay(path) => write!(f, "replay:{}", path.display()),
            SourceSpec::V4l2(path) => write!(f, "v4l2:{}", path.display()),
            SourceSpec::Libcamera(None) => f.write_str("libcamera"),
            SourceSpec::Libcamera(Some(id)) => write!(f, "libcamera:{id}"),
            SourceSpec::Auto => f.write_str("auto"),
        }
    }
}

impl FromStr for SourceSpec {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (kind, arg) = match text.split_once(':') {
            Some((kind, arg)) => (kind, Some(arg)),
            None => (text, None),
        };
        let need_path = |arg: Option<&str>| match arg {
            Some(path) if !path.is_empty() => Ok(PathBuf::from(path)),
            _ => Err(format!("source {text:?} needs a path: {kind}:PATH")),
        };
        match kind {
            "testpattern" if arg.is_none() => Ok(SourceSpec::TestPattern),
            "auto" if arg.is_none() => Ok(SourceSpec::Auto),
            "replay" => need_path(arg).map(SourceSpec::Replay),
            "v4l2" => need_path(arg).map(SourceSpec::V4l2),
            "libcamera" => Ok(SourceSpec::Libcamera(arg.filter(|id| !id.is_empty()).map(str::to_owned))),
            _ => Err(format!(
                "unknown source {text:?}: expected auto, testpattern, replay:PATH, v4l2:/dev/videoN or libcamera[:ID]"
            )),
        }
    }
}

/// Deserializes any `FromStr` type from a TOML string, so a bad value's error carries the
/// key's line like every other config error.
pub(crate) fn from_text<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    let text = String::deserialize(de)?;
    text.parse().map_err(|err| D::Error::custom(format!("{text:?}: {err}")))
}

pub(crate) fn some_from_text<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: fmt::Display,
{
    from_text(de).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_say_why() {
        assert_eq!("1280x720".parse(), Ok(Resolution { width: 1280, height: 720 }));
        for bad in ["", "640", "640x", "x480", "0x0", "640x480x3", "99999x480"] {
            let err = bad.parse::<Resolution>().expect_err(bad);
            assert!(err.contains("WIDTHxHEIGHT"), "{err}");
        }
    }

    #[test]
    fn sources_parse() {
        assert_eq!("testpattern".parse(), Ok(SourceSpec::TestPattern));
        assert_eq!("auto".parse(), Ok(SourceSpec::Auto));
        assert!("auto:x".parse::<SourceSpec>().is_err());
        assert_eq!("replay:a.mjpeg".parse(), Ok(SourceSpec::Replay("a.mjpeg".into())));
        assert_eq!("v4l2:/dev/video0".parse(), Ok(SourceSpec::V4l2("/dev/video0".into())));
        assert_eq!("libcamera".parse(), Ok(SourceSpec::Libcamera(None)));
        assert_eq!("libcamera:imx219".parse(), Ok(SourceSpec::Libcamera(Some("imx219".into()))));
        assert!("replay".parse::<SourceSpec>().is_err());
        assert!("webcam".parse::<SourceSpec>().is_err());
        assert!("testpattern:x".parse::<SourceSpec>().is_err());
    }
}
