//! Command-line parsing.

use lexopt::prelude::*;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: zerocam-ota COMMAND ...

  keygen [--out PREFIX]          make a signing key: PREFIX.key (secret, keep it off the camera
                                 and out of any repository) and PREFIX.pub (goes into the image's
                                 keyring); PREFIX defaults to zerocam-ota. Set
                                 ZEROCAM_KEY_PASSWORD to encrypt the secret key.
  bundle --image FILE --version V --key FILE [--build-id ID] [--board B] [--out FILE]
                                 sign FILE (a slot image, out/slot.img from ci/build-image) into
                                 a bundle; board defaults to pizero, the output to
                                 zerocam-B-V.bundle
  verify BUNDLE --key PUBFILE [--extract DIR]
                                 check a bundle's signature and hashes; --extract writes
                                 manifest.json, manifest.json.minisig and the payload files
                                 (check them with minisign -Vm DIR/manifest.json -p PUBFILE)
  push CAMERA BUNDLE [--force] [--no-wait] [--wait-secs N]
                                 upload a bundle, then wait for the camera to come back and
                                 report the new version or the rollback (--force: allow a
                                 downgrade; default wait 300 s)
  status CAMERA [--json]         running slot and version, the other slot, the last update
  rollback CAMERA [--no-wait] [--wait-secs N]
                                 go back to the other slot's system

CAMERA is a host name or address, with an optional :PORT or http:// in front.
push and rollback need the camera's admin token: --token TOKEN or ZEROCAM_TOKEN.
";

pub struct BundleOptions {
    pub image: PathBuf,
    pub version: String,
    pub build_id: String,
    pub board: String,
    pub key: PathBuf,
    pub out: Option<PathBuf>,
}

pub enum Command {
    Help,
    Keygen { out: PathBuf },
    Bundle(BundleOptions),
    Verify { bundle: PathBuf, key: PathBuf, extract: Option<PathBuf> },
    Push { camera: String, bundle: PathBuf, token: String, force: bool, wait: Option<Duration> },
    Status { camera: String, json: bool },
    Rollback { camera: String, token: String, wait: Option<Duration> },
}

pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut parser = lexopt::Parser::from_args(args);
    let mut positional: Vec<String> = Vec::new();
    let mut command: Option<String> = None;
    let mut out = None;
    let mut image = None;
    let mut version = None;
    let mut build_id = None;
    let mut board = None;
    let mut key = None;
    let mut extract = None;
    let mut token = std::env::var("ZEROCAM_TOKEN").ok();
    let mut force = false;
    let mut json = false;
    let mut no_wait = false;
    let mut wait_secs = 300u64;
    while let Some(arg) = parser.next().map_err(|err| err.to_string())? {
        let value = |parser: &mut lexopt::Parser| -> Result<String, String> {
            parser
                .value()
                .map_err(|err| err.to_string())?
                .into_string()
                .map_err(|_| "arguments must be UTF-8".to_string())
        };
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Long("out") | Short('o') => out = Some(PathBuf::from(value(&mut parser)?)),
            Long("image") => image = Some(PathBuf::from(value(&mut parser)?)),
            Long("version") => version = Some(value(&mut parser)?),
            Long("build-id") => build_id = Some(value(&mut parser)?),
            Long("board") => board = Some(value(&mut parser)?),
            Long("key") | Short('k') => key = Some(PathBuf::from(value(&mut parser)?)),
            Long("extract") => extract = Some(PathBuf::from(value(&mut parser)?)),
            Long("token") => token = Some(value(&mut parser)?),
            Long("force") => force = true,
            Long("json") => json = true,
            Long("no-wait") => no_wait = true,
            Long("wait-secs") => {
                wait_secs =
                    value(&mut parser)?.parse().map_err(|_| "--wait-secs takes a number".to_string())?
            }
            Value(text) => {
                let text = text.into_string().map_err(|_| "arguments must be UTF-8".to_string())?;
                if command.is_none() {
                    command = Some(text);
                } else {
                    positional.push(text);
                }
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    let wait = (!no_wait).then_some(Duration::from_secs(wait_secs));
    let need = |what: &str, value: Option<String>| value.ok_or_else(|| format!("missing {what}"));
    let need_token = || {
        token
            .clone()
            .filter(|token| !token.is_empty())
            .ok_or_else(|| "no admin token: pass --token or set ZEROCAM_TOKEN".to_string())
    };
    let mut positional = positional.into_iter();
    let command = match command.as_deref() {
        None => return Err("no command given".into()),
        Some("keygen") => Command::Keygen { out: out.unwrap_or_else(|| PathBuf::from("zerocam-ota")) },
        Some("bundle") => Command::Bundle(BundleOptions {
            image: image.ok_or("missing --image FILE (the slot image)")?,
            version: version.ok_or("missing --version V")?,
            build_id: build_id.unwrap_or_else(|| "unknown".into()),
            board: board.unwrap_or_else(|| "pizero".into()),
            key: key.ok_or("missing --key FILE (the secret key from keygen)")?,
            out,
        }),
        Some("verify") => Command::Verify {
            bundle: PathBuf::from(need("BUNDLE", positional.next())?),
            key: key.ok_or("missing --key PUBFILE")?,
            extract,
        },
        Some("push") => Command::Push {
            camera: need("CAMERA", positional.next())?,
            bundle: PathBuf::from(need("BUNDLE", positional.next())?),
            token: need_token()?,
            force,
            wait,
        },
        Some("status") => Command::Status { camera: need("CAMERA", positional.next())?, json },
        Some("rollback") => {
            Command::Rollback { camera: need("CAMERA", positional.next())?, token: need_token()?, wait }
        }
        Some(other) => return Err(format!("unknown command {other:?}")),
    };
    if let Some(extra) = positional.next() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    Ok(command)
}
