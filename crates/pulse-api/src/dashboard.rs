//! The dashboard: three static files compiled into the binary, no build step.
//!
//! Post text is untrusted. The script only ever inserts it with `textContent` (never `innerHTML`),
//! and the page is served with a Content-Security-Policy that allows scripts from this origin only,
//! as a second line of defence.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

const INDEX_HTML: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const STYLE_CSS: &str = include_str!("../assets/style.css");

/// Scripts, styles and connections from this origin only; no inline script, no plugins, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// `/`, `/assets/app.js`, `/assets/style.css`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { page("text/html; charset=utf-8", INDEX_HTML) }))
        .route("/assets/app.js", get(|| async { page("text/javascript; charset=utf-8", APP_JS) }))
        .route("/assets/style.css", get(|| async { page("text/css; charset=utf-8", STYLE_CSS) }))
}

fn page(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
}
