//! The console page: plain HTML, CSS and JavaScript compiled into the
//! binary (no build step), served at `/console`. The page holds no data of
//! its own: everything comes from the authenticated API and live feeds.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const HTML: &str = include_str!("assets/console.html");
const JS: &str = include_str!("assets/console.js");
const CSS: &str = include_str!("assets/console.css");

/// Headers every console asset carries: no framing, no sniffing, scripts
/// from this origin only.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

fn asset(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /console`.
pub async fn html() -> Response {
    asset(HTML, "text/html; charset=utf-8")
}

/// `GET /console/console.js`.
pub async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

/// `GET /console/console.css`.
pub async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}
