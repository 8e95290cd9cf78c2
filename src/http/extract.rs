//! Request extractors: a JSON body whose errors name the field at fault, and the acting
//! staff member and workstation from headers (replaced by staff sessions later).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
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

/// The staff member acting (`X-Staff-Id`, required) and their workstation
/// (`X-Workstation`, default `counter`).
pub struct Staff {
    pub staff_id: String,
    pub workstation: String,
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn well_formed(v: &str) -> bool {
    v.len() <= 32
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl<S: Send + Sync> FromRequestParts<S> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let staff_id = header(parts, "x-staff-id").filter(|v| well_formed(v));
        let Some(staff_id) = staff_id else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "the acting staff member is required (1-32 letters, digits, '-', '_', '.')",
                None,
                Some("X-Staff-Id"),
            ));
        };
        let workstation = header(parts, "x-workstation").unwrap_or("counter");
        if !well_formed(workstation) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "workstation must be 1-32 letters, digits, '-', '_', '.'",
                None,
                Some("X-Workstation"),
            ));
        }
        Ok(Staff {
            staff_id: staff_id.to_owned(),
            workstation: workstation.to_owned(),
        })
    }
}
