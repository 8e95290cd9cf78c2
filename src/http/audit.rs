//! The audit middleware: every state-changing API request (POST, PATCH, PUT, DELETE under
//! `/api`), answered or refused, leaves one audit row saying who, where, what and the result.
//! Recording never changes the answer: a failed audit write is logged, not returned.

use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use super::auth::{Actor, ApprovedBy};
use crate::domain::staff::looks_like_personal_data;
use crate::kiosk::Kiosk;
use crate::store::audit::AuditEntry;

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
    // A phone or ID number typed into a path field is not kept (R-SVC-1).
    let target = RawPathParams::from_request_parts(&mut parts, &())
        .await
        .ok()
        .and_then(|params| params.iter().next().map(|(_, v)| v.to_owned()))
        .map(|v| {
            if looks_like_personal_data(&v) {
                "(withheld: shaped like personal data)".to_owned()
            } else {
                v
            }
        });
    let action = format!("{} {route}", parts.method);
    let response = next.run(Request::from_parts(parts, body)).await;
    if response
        .extensions()
        .get::<AuditedInTransaction>()
        .is_some()
    {
        return response;
    }
    // The guard (or the sign-in handler) names who acted; a request it turned away before
    // knowing anyone is `anonymous`.
    let actor = response.extensions().get::<Actor>();
    let approved_by = response.extensions().get::<ApprovedBy>();
    let entry = AuditEntry {
        store_id: k.config.store_id.clone(),
        at: k.clock.now(),
        staff_id: actor.map_or_else(|| "anonymous".into(), |a| a.staff_number.clone()),
        role: actor.and_then(|a| a.role).map(|r| r.as_str().to_owned()),
        workstation: actor.map_or_else(|| "unknown".into(), |a| a.workstation.clone()),
        action,
        target,
        detail: approved_by.map(|a| serde_json::json!({ "approved_by": a.0 })),
        result: response.status().as_u16(),
    };
    if let Err(e) = k.audit(entry.clone()).await {
        // The action and status only: the target may be a member id, the error has no data.
        tracing::error!(action = %entry.action, status = entry.result, error = %e, "audit row not written");
    }
    response
}

/// Set on a response whose operation wrote its own audit row inside its transaction (a
/// committed sale): the row is as durable as the sale, and not written twice.
#[derive(Debug, Clone, Copy)]
pub struct AuditedInTransaction;
