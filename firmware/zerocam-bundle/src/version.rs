//! Downgrade checks: versions are semantic versions ("0.2.0", "0.3.0-rc.1").

/// Whether installing `bundle` over `running` goes back in version. An equal version is no
/// downgrade (reinstalling is allowed). Either side not being a semantic version is an error
/// naming it, so that a typo never silently passes as "newer".
pub fn is_downgrade(bundle: &str, running: &str) -> Result<bool, String> {
    let parse = |what: &str, text: &str| {
        semver::Version::parse(text)
            .map_err(|err| format!("{what} version {text:?} is not a semantic version: {err}"))
    };
    Ok(parse("bundle", bundle)? < parse("running", running)?)
}
