//! Which resource a request names. Every camera has its URLs under /cam/<name>/; the first
//! camera is also at the plain URLs (and mjpg-streamer's /?action=...).

use super::request::query_value;
use crate::system::PowerAction;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    Page {
        camera: CameraRef<'a>,
    },
    Stream {
        camera: CameraRef<'a>,
    },
    Snapshot {
        camera: CameraRef<'a>,
    },
    Status,
    Metrics,
    Log,
    /// The site icon (browsers ask for /favicon.ico on every page).
    Icon,
    Power(PowerAction),
    Rollback,
    Update,
    NotFound,
}

/// A camera named in a URL: the first one, one by name, or one by its place in the config
/// (mjpg-streamer's `?action=stream_N`, counted from 0); checked later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CameraRef<'a> {
    First,
    Named(&'a str),
    Index(usize),
}

impl Route<'_> {
    /// Methods the resource answers, for 405's Allow header.
    pub fn allow(&self) -> &'static str {
        match self {
            Route::Power(_) | Route::Update | Route::Rollback => "POST",
            _ => "GET, HEAD",
        }
    }

    /// Whether viewer login (when configured) guards it: everything that shows the camera
    /// or its figures. The icon and errors do not; admin actions have their own token.
    pub fn needs_viewer_login(&self) -> bool {
        matches!(
            self,
            Route::Page { .. }
                | Route::Stream { .. }
                | Route::Snapshot { .. }
                | Route::Status
                | Route::Metrics
                | Route::Log
        )
    }

    /// The same, plus OPTIONS, for an OPTIONS reply's Allow header.
    pub fn allow_with_options(&self) -> &'static str {
        match self {
            Route::Power(_) | Route::Update => "POST, OPTIONS",
            _ => "GET, HEAD, OPTIONS",
        }
    }
}

pub fn route<'a>(path: &'a str, query: &'a str) -> Route<'a> {
    if let Some(rest) = path.strip_prefix("/cam/") {
        let (name, resource) = rest.split_once('/').unwrap_or((rest, ""));
        if name.is_empty() {
            return Route::NotFound;
        }
        return camera_resource(CameraRef::Named(name), resource, query);
    }
    match path {
        "/status" | "/status.json" => Route::Status,
        "/metrics" => Route::Metrics,
        "/log" => Route::Log,
        "/favicon.ico" | "/favicon.svg" => Route::Icon,
        "/api/poweroff" => Route::Power(PowerAction::PowerOff),
        "/api/reboot" => Route::Power(PowerAction::Reboot),
        "/api/update" => Route::Update,
        "/api/rollback" => Route::Rollback,
        _ => camera_resource(CameraRef::First, path.trim_start_matches('/'), query),
    }
}

fn camera_resource<'a>(camera: CameraRef<'a>, resource: &str, query: &str) -> Route<'a> {
    match resource {
        "" | "index.html" => match query_value(query, "action") {
            Some("stream") => Route::Stream { camera },
            Some("snapshot") => Route::Snapshot { camera },
            Some(action) => numbered_action(camera, action),
            None => Route::Page { camera },
        },
        "stream.mjpg" | "stream" => Route::Stream { camera },
        "snapshot.jpg" | "snapshot" => Route::Snapshot { camera },
        _ => Route::NotFound,
    }
}

/// mjpg-streamer's `stream_N` / `snapshot_N`: camera N of the plain URLs.
fn numbered_action<'a>(camera: CameraRef<'a>, action: &str) -> Route<'a> {
    let numbered = |prefix: &str| {
        let digits = action.strip_prefix(prefix)?;
        (!digits.is_empty() && digits.len() <= 3 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<usize>().ok())
            .flatten()
    };
    match (camera, numbered("stream_"), numbered("snapshot_")) {
        (CameraRef::First, Some(index), _) => Route::Stream { camera: CameraRef::Index(index) },
        (CameraRef::First, _, Some(index)) => Route::Snapshot { camera: CameraRef::Index(index) },
        _ => Route::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_alias_urls() {
        let first = CameraRef::First;
        assert_eq!(route("/", ""), Route::Page { camera: first });
        for (path, query) in
            [("/stream.mjpg", ""), ("/stream", ""), ("/", "action=stream"), ("/stream.mjpg", "t=1")]
        {
            assert_eq!(route(path, query), Route::Stream { camera: first }, "{path}?{query}");
        }
        assert_eq!(route("/snapshot.jpg", ""), Route::Snapshot { camera: first });
        assert_eq!(route("/", "action=snapshot"), Route::Snapshot { camera: first });
        assert_eq!(route("/status", ""), Route::Status);
        assert_eq!(route("/metrics", ""), Route::Metrics);
        assert_eq!(route("/nope", ""), Route::NotFound);
        assert_eq!(route("/", "action=other"), Route::NotFound);
        assert_eq!(route("/favicon.ico", ""), Route::Icon);
    }

    #[test]
    fn mjpg_streamer_numbered_urls() {
        assert_eq!(route("/", "action=stream_0"), Route::Stream { camera: CameraRef::Index(0) });
        assert_eq!(route("/", "action=stream_1&t=5"), Route::Stream { camera: CameraRef::Index(1) });
        assert_eq!(route("/", "action=snapshot_2"), Route::Snapshot { camera: CameraRef::Index(2) });
        for bad in ["action=stream_", "action=stream_x", "action=stream_-1", "action=stream_99999"] {
            assert_eq!(route("/", bad), Route::NotFound, "{bad}");
        }
        assert_eq!(route("/cam/back/", "action=stream_1"), Route::NotFound);
    }

    #[test]
    fn per_camera_urls() {
        let back = CameraRef::Named("back");
        assert_eq!(route("/cam/back/stream.mjpg", ""), Route::Stream { camera: back });
        assert_eq!(route("/cam/back/snapshot.jpg", ""), Route::Snapshot { camera: back });
        assert_eq!(route("/cam/back/", ""), Route::Page { camera: back });
        assert_eq!(route("/cam/back", ""), Route::Page { camera: back });
        assert_eq!(route("/cam//stream.mjpg", ""), Route::NotFound);
        assert_eq!(route("/cam/back/x", ""), Route::NotFound);
    }

    #[test]
    fn power_routes_allow_post_only() {
        assert_eq!(route("/api/poweroff", "").allow(), "POST");
        assert_eq!(route("/api/rollback", ""), Route::Rollback);
        assert_eq!(route("/api/rollback", "").allow(), "POST");
        assert_eq!(route("/status", "").allow(), "GET, HEAD");
    }
}
