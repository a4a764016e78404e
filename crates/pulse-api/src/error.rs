//! The one place errors become HTTP responses: `{"error": {"code", "message"}}` with a 4xx for
//! anything the caller can fix and a 500 only for faults of ours.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error a handler returns.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is wrong: a bad parameter, a query syntax error, a limit out of range.
    #[error("{message}")]
    BadRequest {
        /// Machine-readable code (`bad_window`, `bad_limit`, `bad_query`, ...).
        code: &'static str,
        /// What is wrong and what is accepted.
        message: String,
    },
    /// The thing asked for does not exist (an unknown topic).
    #[error("{0}")]
    NotFound(String),
    /// The server is at a limit (open streams); the caller may retry later.
    #[error("{message}")]
    Unavailable {
        /// Machine-readable code (`too_many_streams`).
        code: &'static str,
        /// What limit was reached.
        message: String,
    },
    /// A fault of ours; logged, and reported without internals.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 400 with this code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }
}

impl From<pulse_index::IndexError> for AppError {
    fn from(error: pulse_index::IndexError) -> Self {
        if error.is_user_error() {
            Self::bad_request("bad_query", error.to_string())
        } else {
            Self::Internal(error.to_string())
        }
    }
}

/// Longest request target (path and query) answered; a longer one is a 414.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header bytes (names and values) answered; more is a 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Middleware: refuses over-long targets and headers, makes every error JSON, and sets the
/// security headers on every response.
///
/// Errors produced outside the handlers (axum's 405, the body limit's 413, the timeout's 408)
/// come with plain-text or empty bodies; they are replaced by `{"error": {"code", "message"}}`
/// with the code named after the status. Targets over 64 KiB and heads over hyper's buffer
/// (about 400 KiB) are answered by hyper itself before any of this runs.
pub async fn harden(request: Request, next: Next) -> Response {
    let header_bytes: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    let mut response = if request.uri().to_string().len() > MAX_URI_BYTES {
        plain_error(StatusCode::URI_TOO_LONG, format!("the request target is longer than {MAX_URI_BYTES} bytes"))
    } else if header_bytes > MAX_HEADER_BYTES {
        plain_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the request headers are larger than {MAX_HEADER_BYTES} bytes"),
        )
    } else {
        let response = next.run(request).await;
        let status = response.status();
        let is_json =
            response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
        if (status.is_client_error() || status.is_server_error()) && !is_json {
            plain_error(status, explain(status))
        } else {
            response
        }
    };
    let headers = response.headers_mut();
    headers.entry(header::X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    headers.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("no-referrer"));
    headers
        .entry(HeaderName::from_static("permissions-policy"))
        .or_insert(HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"));
    response
}

/// What a status no handler chose means for the caller.
fn explain(status: StatusCode) -> String {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => "this endpoint answers GET (and HEAD) only".into(),
        StatusCode::PAYLOAD_TOO_LARGE => format!("request bodies over {} bytes are refused", crate::BODY_LIMIT_BYTES),
        StatusCode::REQUEST_TIMEOUT => format!("the request took longer than {} s", crate::REQUEST_TIMEOUT.as_secs()),
        other => other.canonical_reason().unwrap_or("error").to_lowercase(),
    }
}

/// An error response for a status no handler chose: the code is the status's name in snake case.
fn plain_error(status: StatusCode, message: String) -> Response {
    let code = status.canonical_reason().unwrap_or("error").to_lowercase().replace([' ', '-'], "_");
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Unavailable { code, .. } => (StatusCode::SERVICE_UNAVAILABLE, *code),
            Self::Internal(message) => {
                tracing::error!(%message, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        (status, Json(json!({"error": {"code": code, "message": self.to_string()}}))).into_response()
    }
}
