//! Starting zerocam: cameras first (each with its pool and source thread), then the HTTP
//! server on its own thread with a single-threaded executor.

use crate::camera::Camera;
use crate::config::{CameraConfig, Config, HttpConfig, SourceSpec};
use crate::http::{self, ServerHealth, Shared};
use crate::ota::Updater;
use crate::source::{start_camera, start_stand_in, SourceError};
use crate::system::{RunMode, SharedControl, SharedHealth};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

#[derive(Debug)]
pub enum StartError {
    /// `setting` names the camera's source and where it was set (file and key, or flag).
    Camera {
        name: String,
        setting: String,
        error: SourceError,
    },
    /// `setting` names the listen address and where it was set.
    Bind {
        addr: SocketAddr,
        setting: String,
        error: std::io::Error,
    },
    Thread(std::io::Error),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Camera { setting, error, .. } => write!(f, "{setting}: {error}"),
            StartError::Bind { setting, error, .. } => write!(f, "{setting}: cannot listen: {error}"),
            StartError::Thread(error) => write!(f, "cannot start the HTTP thread: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A running zerocam. Dropping it stops the sources and the server (tests start many).
pub struct Running {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<async_channel::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Starts every camera, then the server. On a PC a camera that cannot start stops
/// start-up with the error; as PID 1 it shows the test pattern with the reason instead, so
/// the board stays reachable.
pub fn start(config: &Config, mode: RunMode, control: SharedControl) -> Result<Running, StartError> {
    start_with_updates(config, mode, control, None)
}

/// `start`, plus over-the-air updates into `updates`' slots (the board passes its own; on a
/// PC there are none, unless a test passes file-backed ones).
pub fn start_with_updates(
    config: &Config,
    mode: RunMode,
    control: SharedControl,
    updates: Option<Arc<Updater>>,
) -> Result<Running, StartError> {
    let subscribers = config.http.max_clients;
    let mut cameras: Vec<Arc<Camera>> = Vec::new();
    let cameras_config = config.cameras_or_default();
    // Devices named by a camera, which `auto` must not pick; then each device `auto` picked.
    let mut taken: Vec<PathBuf> = cameras_config
        .iter()
        .filter_map(|camera| match &camera.source {
            SourceSpec::V4l2(path) => Some(path.clone()),
            _ => None,
        })
        .collect();
    for (index, camera) in cameras_config.iter().enumerate() {
        let failed = |error| StartError::Camera {
            name: camera.name.clone(),
            setting: config.describe_source(index, camera),
            error,
        };
        let started = start_camera(camera, subscribers, &taken).or_else(|error| {
            let reason = error.to_string();
            let failed = failed(error);
            match mode {
                RunMode::Process => Err(failed),
                RunMode::Pid1 => {
                    log::error!("{failed}; showing the test pattern instead");
                    start_stand_in(camera, subscribers, &reason).map_err(failed_stand_in(camera))
                }
            }
        });
        match started {
            Ok(started) => {
                if let SourceSpec::V4l2(path) = started.source_in_use() {
                    taken.push(path);
                }
                cameras.push(started);
            }
            Err(failed) => {
                cameras.iter().for_each(|camera| camera.stop());
                return Err(failed);
            }
        }
    }
    serve(cameras, &config.http, mode, control, updates, |addr| config.describe_listen(addr))
}

fn failed_stand_in(camera: &CameraConfig) -> impl FnOnce(SourceError) -> StartError + '_ {
    move |error| StartError::Camera {
        name: camera.name.clone(),
        setting: format!("camera {}: the test pattern standing in", camera.name),
        error,
    }
}

/// Serves cameras that are already running (tests drive a camera's pool by hand this way).
pub fn serve_cameras(
    cameras: Vec<Arc<Camera>>,
    http_config: &HttpConfig,
    mode: RunMode,
    control: SharedControl,
) -> Result<Running, StartError> {
    serve(cameras, http_config, mode, control, None, |addr| format!("[http] listen = {addr}"))
}

/// `serve_cameras` with over-the-air updates (see `start_with_updates`).
pub fn serve_cameras_with_updates(
    cameras: Vec<Arc<Camera>>,
    http_config: &HttpConfig,
    mode: RunMode,
    control: SharedControl,
    updates: Option<Arc<Updater>>,
) -> Result<Running, StartError> {
    serve(cameras, http_config, mode, control, updates, |addr| format!("[http] listen = {addr}"))
}

/// `describe_listen` names the listen setting in a bind error.
fn serve(
    cameras: Vec<Arc<Camera>>,
    http_config: &HttpConfig,
    mode: RunMode,
    control: SharedControl,
    updates: Option<Arc<Updater>>,
    describe_listen: impl FnOnce(SocketAddr) -> String,
) -> Result<Running, StartError> {
    let stop_cameras = |cameras: &[Arc<Camera>]| cameras.iter().for_each(|camera| camera.stop());
    let listen = http_config.listen_addr(mode);
    let listener = http::bind(listen).map_err(|error| {
        stop_cameras(&cameras);
        StartError::Bind { addr: listen, setting: describe_listen(listen), error }
    })?;
    let addr = listener.get_ref().local_addr().unwrap_or(listen);
    let mut shared = Shared::new(cameras, http_config.clone(), addr, mode, control);
    shared.updates = updates;
    let shared = Arc::new(shared);
    let (stop_tx, stop_rx) = async_channel::bounded::<()>(1);
    let server_shared = Arc::clone(&shared);
    let thread = std::thread::Builder::new()
        .name("http".into())
        .spawn(move || {
            let executor = smol::LocalExecutor::new();
            let serve = http::accept_loop(server_shared, listener, &executor);
            let stopped = async {
                let _ = stop_rx.recv().await;
            };
            smol::block_on(executor.run(futures_lite::future::or(serve, stopped)));
        })
        .map_err(|error| {
            stop_cameras(&shared.cameras);
            StartError::Thread(error)
        })?;
    log::info!(
        "serving http://{addr}/ ({} camera(s), {} client places)",
        shared.cameras.len(),
        shared.clients.capacity()
    );
    Ok(Running { shared, addr, stop: Some(stop_tx), thread: Some(thread) })
}

impl Running {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub fn health(&self) -> SharedHealth {
        Arc::new(ServerHealth { shared: Arc::clone(&self.shared) })
    }

    /// Blocks while the server runs (for the firmware: forever).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for camera in &self.shared.cameras {
            camera.stop();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.try_send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
