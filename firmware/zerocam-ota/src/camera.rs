//! Talking to a camera: its base URL, /status, and the authenticated POSTs.

use crate::failure::Failure;
use serde_json::Value;
use std::io::Read;
use std::time::Duration;

pub struct Camera {
    /// "http://host:port", no trailing slash.
    pub base: String,
    agent: ureq::Agent,
}

/// The camera's view of its slots (the "ota" object of /status).
#[derive(Debug, Clone)]
pub struct OtaView {
    pub board: String,
    pub boot_id: String,
    pub running_slot: Option<String>,
    pub running_version: String,
    pub other_slot: Option<String>,
    pub other_version: Option<String>,
    pub trial: Option<bool>,
    pub rollback: Option<String>,
    pub last_update: Option<String>,
    pub raw: Value,
}

impl OtaView {
    fn from_json(ota: &Value) -> Option<OtaView> {
        let text = |key: &str| ota.get(key).and_then(Value::as_str).map(str::to_string);
        Some(OtaView {
            board: text("board")?,
            boot_id: text("boot_id")?,
            running_slot: text("running_slot"),
            running_version: text("running_version").unwrap_or_default(),
            other_slot: text("other_slot"),
            other_version: text("other_version"),
            trial: ota.get("trial").and_then(Value::as_bool),
            rollback: text("rollback"),
            last_update: ota
                .get("last_update")
                .and_then(|last| last.get("summary"))
                .and_then(Value::as_str)
                .map(str::to_string),
            raw: ota.clone(),
        })
    }
}

/// Either the camera's JSON answer, or why there is none.
pub enum Answer {
    Json(u16, Value),
    /// A non-JSON answer (an older firmware, a proxy): status and text.
    Text(u16, String),
}

impl Camera {
    pub fn new(camera: &str) -> Camera {
        let trimmed = camera.trim_end_matches('/');
        let base = if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            trimmed.to_string()
        } else {
            format!("http://{trimmed}")
        };
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            // After the upload the camera syncs and reads the whole slot back before it answers.
            .timeout_read(Duration::from_secs(180))
            .timeout_write(Duration::from_secs(60))
            .build();
        Camera { base, agent }
    }

    /// GET /status as JSON.
    pub fn status(&self) -> Result<Value, Failure> {
        let url = format!("{}/status", self.base);
        let response =
            self.agent.get(&url).timeout(Duration::from_secs(5)).call().map_err(|err| self.describe(err))?;
        let text = response.into_string().map_err(|err| format!("reading {url}: {err}"))?;
        serde_json::from_str(&text)
            .map_err(|err| Failure::new(format!("{url} is not a zerocam status: {err}")))
    }

    /// The "ota" object, or a failure saying why this camera cannot be updated.
    pub fn ota(&self) -> Result<OtaView, Failure> {
        let status = self.status()?;
        match status.get("ota") {
            Some(Value::Null) => Err(Failure::new(format!(
                "{} runs zerocam {} without update slots (a PC, or a card flashed before A/B updates: reflash it once)",
                self.base,
                status.get("version").and_then(Value::as_str).unwrap_or("?")
            ))),
            Some(ota) => OtaView::from_json(ota).ok_or_else(|| Failure::new(format!("{}: odd ota status: {ota}", self.base))),
            None => Err(Failure::new(format!("{} runs a zerocam without over-the-air updates", self.base))),
        }
    }

    /// POSTs `body` (of `len` bytes) to `path` with the bearer token.
    pub fn post(&self, path: &str, token: &str, len: u64, body: impl Read) -> Result<Answer, Failure> {
        let url = format!("{}{path}", self.base);
        let result = self
            .agent
            .post(&url)
            .set("Authorization", &format!("Bearer {token}"))
            .set("Content-Length", &len.to_string())
            .set("Content-Type", "application/octet-stream")
            .send(body);
        let response = match result {
            Ok(response) => response,
            Err(ureq::Error::Status(_, response)) => response,
            Err(err) => return Err(self.describe(err)),
        };
        let status = response.status();
        let text = response.into_string().map_err(|err| format!("reading the answer of {url}: {err}"))?;
        Ok(match serde_json::from_str::<Value>(&text) {
            Ok(json) => Answer::Json(status, json),
            Err(_) => Answer::Text(status, text.trim().to_string()),
        })
    }

    fn describe(&self, err: ureq::Error) -> Failure {
        match err {
            ureq::Error::Status(code, response) => {
                let text = response.into_string().unwrap_or_default();
                Failure::new(format!("{} answered {code}: {}", self.base, text.trim()))
            }
            ureq::Error::Transport(transport) => {
                Failure::new(format!("cannot reach the camera at {}: {transport}", self.base))
            }
        }
    }
}

/// What a refused or failed POST says, for the user.
pub fn explain(status: u16, answer: &Answer) -> String {
    let detail = match answer {
        Answer::Json(_, json) => {
            json.get("reason").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| json.to_string())
        }
        Answer::Text(_, text) => text.clone(),
    };
    match status {
        401 => format!("the camera refused the token (401): check --token or ZEROCAM_TOKEN ({detail})"),
        403 => format!(
            "the camera has updates switched off (403): set [http] admin_token in zerocam.toml ({detail})"
        ),
        404 => format!("this camera's firmware does not know this request (404): {detail}"),
        _ => format!("refused ({status}): {detail}"),
    }
}
