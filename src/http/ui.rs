//! The counter UI's files: the page (`index.html`, with a content security policy that allows
//! only this origin and the page's own import map), the app's ES modules under `/app/`, and the
//! runtime packages npm installed (`/vendor/preact`, `/vendor/htm`, `/vendor/uplot`): nothing
//! else of `node_modules` (test tools, their licences) is served.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// The npm packages the browser loads; the import map in `index.html` names them.
const RUNTIME_PACKAGES: [&str; 3] = ["preact", "htm", "uplot"];

/// The UI's routes, served from `ui_dir` (gzip when the browser accepts it).
pub fn router(ui_dir: &Path) -> Router {
    let page_dir = Arc::new(ui_dir.to_path_buf());
    let mut ui = Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .with_state(page_dir)
        .nest_service("/app", ServeDir::new(ui_dir.join("app")));
    for package in RUNTIME_PACKAGES {
        ui = ui.nest_service(
            &format!("/vendor/{package}"),
            ServeDir::new(ui_dir.join("node_modules").join(package)),
        );
    }
    ui.layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        // A kiosk upgrade changes the files under the same names: revalidate each load
        // (a 304 on the LAN costs little).
        HeaderValue::from_static("no-cache"),
    ))
    .layer(SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(CompressionLayer::new())
}

/// The page, with a policy that lets it load and call only this origin.
async fn page(State(dir): State<Arc<PathBuf>>) -> Response {
    let Ok(html) = tokio::fs::read_to_string(dir.join("index.html")).await else {
        // The catch-all turns this into the JSON error body.
        return StatusCode::NOT_FOUND.into_response();
    };
    let policy = content_security_policy(&html);
    let mut answer = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        answer
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    answer
}

/// `script-src 'self'` plus the hash of each inline script (the import map), so no injected
/// script can run and no request can leave for another host.
pub fn content_security_policy(html: &str) -> String {
    let hashes: Vec<String> = inline_scripts(html)
        .map(|body| {
            format!(
                "'sha256-{}'",
                STANDARD.encode(Sha256::digest(body.as_bytes()))
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' {}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        hashes.join(" ")
    )
}

/// The bodies of the page's `<script>` elements written inline (not those with `src`).
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (tag, after) = rest.split_once('>')?;
        let (body, _) = after.split_once("</script>")?;
        (!tag.contains("src=")).then_some(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_inline_import_map_and_no_other_script() {
        let html = r#"<script type="importmap">{"imports":{}}</script><script type="module" src="/app/main.js"></script>"#;
        let policy = content_security_policy(html);
        let expected = STANDARD.encode(Sha256::digest(br#"{"imports":{}}"#));
        assert!(policy.contains(&format!("'sha256-{expected}'")), "{policy}");
        assert_eq!(policy.matches("sha256-").count(), 1, "{policy}");
        assert!(policy.contains("connect-src 'self'"), "{policy}");
    }
}
