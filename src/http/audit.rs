//! The audit middleware: every state-changing API request (POST, PATCH, PUT, DELETE under
//! `/api`), answered or refused, leaves one audit row saying who, where, what and the result.
//! Recording never changes the answer: a failed audit write is logged, not returned.

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;

use crate::kiosk::Kiosk;
use crate::store::audit::AuditEntry;

/// Longest header value kept (staff ids and workstations are at most 32 characters; a longer
/// value is kept cut, as it was sent, so a forged header still shows).
const HEADER_MAX: usize = 64;

/// Runs the request, then records it if it could change state.
pub async fn record(State(k): State<Kiosk>, req: Request, next: Next) -> Response {
    let changes_state = matches!(
        *req.method(),
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    ) && (req.uri().path() == "/api" || req.uri().path().starts_with("/api/"));
    if !changes_state {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| parts.uri.path().to_owned());
    // Every route here has at most one parameter: the card, member, receipt, workstation or
    // print job the request is about.
    let target = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok()
        .and_then(|params| params.iter().next().map(|(_, v)| v.to_owned()));
    let staff_id = header(&parts.headers, "x-staff-id").unwrap_or_else(|| "anonymous".into());
    let workstation = header(&parts.headers, "x-workstation").unwrap_or_else(|| "counter".into());
    let action = format!("{} {route}", parts.method);
    let response = next.run(Request::from_parts(parts, body)).await;
    if response
        .extensions()
        .get::<AuditedInTransaction>()
        .is_some()
    {
        return response;
    }
    let entry = AuditEntry {
        store_id: k.config.store_id.clone(),
        at: k.clock.now(),
        staff_id,
        role: None,
        workstation,
        action,
        target,
        detail: None,
        result: response.status().as_u16(),
    };
    if let Err(e) = write(&k, &entry).await {
        // The action and status only: the target may be a member id, the error has no data.
        tracing::error!(action = %entry.action, status = entry.result, error = %e, "audit row not written");
    }
    response
}

/// Through the committer: the row is batched with concurrent sales (one fsync for many)
/// and is durable before the answer leaves.
async fn write(k: &Kiosk, entry: &AuditEntry) -> Result<(), crate::flows::FlowError> {
    k.sales.audit(entry.clone()).await
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.chars().take(HEADER_MAX).collect())
}

/// Set on a response whose operation wrote its own audit row inside its transaction (a
/// committed sale): the row is as durable as the sale, and not written twice.
#[derive(Debug, Clone, Copy)]
pub struct AuditedInTransaction;
