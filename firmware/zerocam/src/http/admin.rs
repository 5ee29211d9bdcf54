//! The bearer-token check of the admin actions (power, update, rollback): off without
//! `[http] admin_token`, otherwise `Authorization: Bearer <token>` compared in constant time.

use super::pages::same_secret;
use super::request::Request;
use super::shared::Shared;

/// Ok when the request may run `action`; otherwise the status and message to answer with.
pub fn check_admin(shared: &Shared, request: &Request<'_>, action: &str) -> Result<(), (u16, String)> {
    let Some(token) = shared.config.admin_token.as_deref().filter(|token| !token.is_empty()) else {
        return Err((403, format!("{action} is disabled: set [http] admin_token")));
    };
    let offered = request.authorization.and_then(|value| value.strip_prefix("Bearer ")).unwrap_or("");
    if !same_secret(offered.as_bytes(), token.as_bytes()) {
        log::warn!("refused a {action} request without the right token");
        return Err((401, "missing or wrong bearer token".into()));
    }
    Ok(())
}
