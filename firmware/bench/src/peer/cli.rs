//! `zerocam-bench peer` options. On the emulated board they come from the kernel command
//! line (the words after `--` are init's arguments, see ci/bench-peer).

use crate::cli::{client_list, count, flag_name, flag_value, non_negative, seconds, usage};
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub const HELP: &str = "\
zerocam-bench peer: zerocam and µStreamer in turn on the same V4L2 sources, N loopback
clients each; fps per client, CPU per frame, peak RSS, bytes per frame and the ratios.
Run by ci/bench-peer as init of an emulated Pi Zero; runs on any Linux that has the
devices (vivid at --camera, v4l2loopback at --loopback).

USAGE:
    zerocam-bench peer [OPTIONS]

OPTIONS:
    --sources LIST     raw (vivid YUYV, each server's encoder) and/or mjpeg (the clip
                       through v4l2loopback, passed through) [raw,mjpeg]
    --servers LIST     zerocam and/or ustreamer [zerocam,ustreamer]
    --clients LIST     client counts, comma-separated [1,3,10,30]
    --seconds S        measuring window per row [10]
    --warmup S         time between all clients connected and the window [2]
    --fps N            frame rate asked of the sources [25]
    --quality N        JPEG quality for the raw source's encoders [80]
    --camera DEV       the raw camera [/dev/video0]
    --loopback DEV     the v4l2loopback device [/dev/video9]
    --clip FILE        MJPEG clip for the loopback feeder [/bench/clip.mjpeg]
    --zerocam FILE     [/bench/zerocam]
    --ustreamer FILE   [/usr/bin/ustreamer]
    --start-timeout S  time for a server to accept connections [30]
    -h, --help         this text
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Raw,
    Mjpeg,
}

impl Source {
    pub fn label(self) -> &'static str {
        match self {
            Source::Raw => "raw",
            Source::Mjpeg => "mjpeg",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Zerocam,
    Ustreamer,
}

impl Server {
    pub fn label(self) -> &'static str {
        match self {
            Server::Zerocam => "zerocam",
            Server::Ustreamer => "ustreamer",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PeerOptions {
    pub sources: Vec<Source>,
    pub servers: Vec<Server>,
    pub clients: Vec<usize>,
    pub seconds: Duration,
    pub warmup: Duration,
    pub fps: u32,
    pub quality: u32,
    pub camera: PathBuf,
    pub loopback: PathBuf,
    pub clip: PathBuf,
    pub zerocam: PathBuf,
    pub ustreamer: PathBuf,
    pub start_timeout: Duration,
}

impl Default for PeerOptions {
    fn default() -> Self {
        PeerOptions {
            sources: vec![Source::Raw, Source::Mjpeg],
            servers: vec![Server::Zerocam, Server::Ustreamer],
            clients: vec![1, 3, 10, 30],
            seconds: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            fps: 25,
            quality: 80,
            camera: "/dev/video0".into(),
            loopback: "/dev/video9".into(),
            clip: "/bench/clip.mjpeg".into(),
            zerocam: "/bench/zerocam".into(),
            ustreamer: "/usr/bin/ustreamer".into(),
            start_timeout: Duration::from_secs(30),
        }
    }
}

pub enum PeerCommand {
    Run(Box<PeerOptions>),
    Help,
}

pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<PeerCommand> {
    use lexopt::prelude::*;
    let mut opts = PeerOptions::default();
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(usage)? {
        let flag = flag_name(&arg)?;
        let text = |parser: &mut lexopt::Parser| flag_value(parser, &flag);
        match arg {
            Short('h') | Long("help") => return Ok(PeerCommand::Help),
            Long("sources") => opts.sources = list(&flag, &text(&mut parser)?, source)?,
            Long("servers") => opts.servers = list(&flag, &text(&mut parser)?, server)?,
            Long("clients") => opts.clients = client_list(&flag, &text(&mut parser)?)?,
            Long("seconds") => opts.seconds = seconds(&flag, &text(&mut parser)?)?,
            Long("warmup") => {
                opts.warmup = Duration::from_secs_f64(non_negative(&flag, &text(&mut parser)?)?)
            }
            Long("fps") => opts.fps = count(&flag, &text(&mut parser)?, 1..=120)? as u32,
            Long("quality") => opts.quality = count(&flag, &text(&mut parser)?, 1..=100)? as u32,
            Long("camera") => opts.camera = text(&mut parser)?.into(),
            Long("loopback") => opts.loopback = text(&mut parser)?.into(),
            Long("clip") => opts.clip = text(&mut parser)?.into(),
            Long("zerocam") => opts.zerocam = text(&mut parser)?.into(),
            Long("ustreamer") => opts.ustreamer = text(&mut parser)?.into(),
            Long("start-timeout") => opts.start_timeout = seconds(&flag, &text(&mut parser)?)?,
            _ => return Err(Error::Usage(format!("unknown option {flag}"))),
        }
    }
    Ok(PeerCommand::Run(Box::new(opts)))
}

fn list<T>(flag: &str, text: &str, item: fn(&str) -> Option<T>) -> Result<Vec<T>> {
    text.split(',')
        .map(|word| item(word.trim()).ok_or_else(|| Error::Usage(format!("{flag}: {word:?} is not known"))))
        .collect()
}

fn source(word: &str) -> Option<Source> {
    match word {
        "raw" => Some(Source::Raw),
        "mjpeg" => Some(Source::Mjpeg),
        _ => None,
    }
}

fn server(word: &str) -> Option<Server> {
    match word {
        "zerocam" => Some(Server::Zerocam),
        "ustreamer" => Some(Server::Ustreamer),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<PeerOptions> {
        match parse(args.iter().map(OsString::from))? {
            PeerCommand::Run(opts) => Ok(*opts),
            PeerCommand::Help => panic!("help"),
        }
    }

    #[test]
    fn defaults_and_lists() {
        let opts = run(&[]).expect("defaults");
        assert_eq!(opts.clients, vec![1, 3, 10, 30]);
        assert_eq!(opts.sources, vec![Source::Raw, Source::Mjpeg]);
        let opts = run(&["--sources", "mjpeg", "--servers", "ustreamer,zerocam"]).expect("valid");
        assert_eq!(opts.sources, vec![Source::Mjpeg]);
        assert_eq!(opts.servers, vec![Server::Ustreamer, Server::Zerocam]);
    }

    #[test]
    fn rejects_unknown_words() {
        assert!(run(&["--sources", "raw,h264"]).is_err());
        assert!(run(&["--servers", "mjpg-streamer"]).is_err());
        assert!(run(&["--quality", "0"]).is_err());
    }
}
