//! The request extractors: JSON body, query string and path parameters. Malformed input is
//! refused with the JSON error body, its code and the field at fault named (never axum's
//! plain-text rejection). (The signed-in staff member is extracted in `auth`.)

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::flows::ErrorCode;

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
                ErrorCode::UnsupportedMediaType,
                "expected Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BodyTooLarge,
                format!("body not readable: {e}"),
            )
        })?;
        let malformed = |e: &dyn std::fmt::Display| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::MalformedJson,
                format!("invalid request body: {e}"),
            )
        };
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
        match parsed {
            Ok(v) => {
                de.end().map_err(|e| malformed(&e))?;
                Ok(ApiJson(v))
            }
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let refusal = if inner.is_syntax() || inner.is_eof() {
                    malformed(&inner)
                } else {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorCode::InvalidBody,
                        format!("invalid request body: {inner}"),
                    )
                };
                Err(if path == "." {
                    refusal
                } else {
                    refusal.field(path)
                })
            }
        }
    }
}

/// The query string, e.g. `?date=2026-05-01`: a value that doesn't parse is a 400 naming
/// the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let refusal = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidQuery,
                    format!("invalid query: {}", e.inner()),
                );
                refusal.field(if path == "." { "query".into() } else { path })
            })
    }
}

/// The path parameter, e.g. `/api/print-jobs/{job_id}`: a value that doesn't parse (not a
/// number, not UTF-8) is a 400 naming the parameter.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(p)) => Ok(ApiPath(p)),
            Err(e) => {
                // Every route has at most one parameter: the one at fault.
                let name = RawPathParams::from_request_parts(parts, state)
                    .await
                    .ok()
                    .and_then(|ps| ps.iter().next().map(|(name, _)| name.to_owned()))
                    .unwrap_or_else(|| "path".into());
                Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidPath,
                    e.body_text(),
                )
                .field(name))
            }
        }
    }
}
