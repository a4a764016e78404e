//! The one place errors become HTTP responses: `{"error": {"code", "message"}}` with a 4xx for
//! anything the caller can fix and a 500 only for faults of ours.

use axum::Json;
use axum::http::StatusCode;
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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, *code),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Internal(message) => {
                tracing::error!(%message, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        (status, Json(json!({"error": {"code": code, "message": self.to_string()}}))).into_response()
    }
}
