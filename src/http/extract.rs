//! The JSON body extractor: malformed bodies are refused with the field at fault named.
//! (The signed-in staff member is extracted in `auth`.)

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body. Malformed JSON is a 400; a body of the wrong shape (unknown field, missing
/// field, wrong type, number out of range) is a 422 naming the field's path.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: application/json",
                None,
                None,
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body not readable: {e}"),
                None,
                None,
            )
        })?;
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
        match parsed {
            Ok(v) => {
                de.end().map_err(|e| {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        format!("invalid request body: {e}"),
                        None,
                        None,
                    )
                })?;
                Ok(ApiJson(v))
            }
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let field = (path != ".").then_some(path);
                let status = if inner.is_syntax() || inner.is_eof() {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                Err(ApiError::new(
                    status,
                    format!("invalid request body: {inner}"),
                    None,
                    field.as_deref(),
                ))
            }
        }
    }
}
