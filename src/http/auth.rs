//! Who may call what (R-SVC-2): the access table of every API route (read from each
//! handler's OpenAPI annotation, so route, permission and docs cannot drift), and the guard that
//! enforces it before any handler runs — a bearer session for all but the public routes,
//! the route's permission for the session's role (403 naming it), and the rate limits on
//! sign-ins and lookups. A route missing from the table is refused: the guard fails closed.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::domain::staff::{Permission, Role};
use crate::flows::staff::SupervisorPin;
use crate::flows::ErrorCode;
use crate::kiosk::Kiosk;
use crate::staff::rate_limit::RateLimiter;
use crate::staff::sessions::{Session, SessionError};

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No session (health, the API description, signing in).
    Public,
    /// Any signed-in staff member.
    SignedIn,
    /// A session whose role has the permission.
    Needs(Permission),
}

/// A route's rule: who may call it, and whether calls count against the lookup limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteRule {
    pub access: Access,
    pub lookup: bool,
}

/// The access table (README, "Staff roles and permissions"), read from the OpenAPI document:
/// each operation's `security` is its rule (`[{}]` public; `session` with no permission: any
/// signed-in staff; `session` with one permission: that permission), and `x-lookup-limit`
/// marks the lookups. An operation with no rule, or one the guard cannot read, is left out,
/// and the guard refuses it: it fails closed.
#[derive(Debug, Default)]
pub struct AccessTable(HashMap<(Method, String), RouteRule>);

impl AccessTable {
    pub fn from_document(doc: &serde_json::Value) -> AccessTable {
        let mut table = HashMap::new();
        let paths = doc.get("paths").and_then(serde_json::Value::as_object);
        for (route, item) in paths.into_iter().flatten() {
            let ops = item.as_object().into_iter().flatten();
            for (method, op) in ops {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                    continue;
                };
                match access_of(op) {
                    Some(access) => {
                        let lookup = op
                            .get(super::openapi::LOOKUP_LIMIT)
                            .and_then(serde_json::Value::as_bool)
                            .unwrap_or(false);
                        table.insert((method, route.clone()), RouteRule { access, lookup });
                    }
                    None => {
                        tracing::error!(%method, %route, "no readable access rule: the route is refused")
                    }
                }
            }
        }
        AccessTable(table)
    }

    /// The rule of `method` on `route` (a path template); `None`: refuse.
    pub fn rule(&self, method: &Method, route: &str) -> Option<RouteRule> {
        self.0.get(&(method.clone(), route.to_owned())).copied()
    }

    /// Whether some method of `route` has a rule (another method answers 405).
    fn knows(&self, route: &str) -> bool {
        self.0.keys().any(|(_, r)| r == route)
    }
}

/// An operation's security requirement as an access rule; `None` if missing or unreadable.
fn access_of(op: &serde_json::Value) -> Option<Access> {
    let requirements = op.get("security")?.as_array()?;
    if requirements
        .iter()
        .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
    {
        return Some(Access::Public);
    }
    let [requirement] = requirements.as_slice() else {
        return None;
    };
    let scopes = requirement.as_object()?.get("session")?.as_array()?;
    match scopes.as_slice() {
        [] => Some(Access::SignedIn),
        [name] => Permission::ALL
            .into_iter()
            .find(|p| Some(p.as_str()) == name.as_str())
            .map(Access::Needs),
        _ => None,
    }
}

/// The guard's shared state: the kiosk (sessions, clock) and the two rate limiters.
#[derive(Clone)]
pub struct Guard {
    pub kiosk: Kiosk,
    pub table: Arc<AccessTable>,
    pub sign_ins: Arc<RateLimiter>,
    pub lookups: Arc<RateLimiter>,
}

impl Guard {
    pub fn new(kiosk: Kiosk) -> Guard {
        Guard {
            table: Arc::new(AccessTable::from_document(super::openapi::api_document())),
            sign_ins: Arc::new(RateLimiter::per_minute(
                kiosk.config.login_attempts_per_minute,
            )),
            lookups: Arc::new(RateLimiter::per_minute(kiosk.config.lookups_per_minute)),
            kiosk,
        }
    }
}

/// Who made a request, for the audit row: set on the response by the guard (or by the
/// sign-in handler, with the staff number tried).
#[derive(Debug, Clone)]
pub struct Actor {
    pub staff_number: String,
    pub role: Option<Role>,
    pub workstation: String,
}

/// Enforces the access table; passes the session on to the handler.
pub async fn guard(State(g): State<Guard>, mut req: Request, next: Next) -> Response {
    let Some(route) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        // Not an API route at all (static files): nothing to guard.
        return next.run(req).await;
    };
    let Some(RouteRule { access, lookup }) = g.table.rule(req.method(), &route) else {
        if g.table.knows(&route) {
            // Another method of a guarded route: the router answers 405, no handler runs.
            return next.run(req).await;
        }
        tracing::error!(method = %req.method(), %route, "route missing from the access table");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::NoAccessRule,
            "this endpoint has no access rule: refused",
        )
        .into_response();
    };
    if access == Access::Public {
        if req.method() == Method::POST && route == "/api/sessions" {
            let client = req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_default();
            if let Err(wait) = g.sign_ins.check(&client, Instant::now()) {
                return too_many("too many sign-in attempts from this device", wait);
            }
        }
        return next.run(req).await;
    }
    let now = g.kiosk.clock.now();
    let touched = match bearer(req.headers()) {
        Some(token) => g.kiosk.sessions.touch(token, now),
        None => Err(SessionError::Unknown),
    };
    let session = match touched {
        Ok(s) => s,
        Err(SessionError::Unknown) => {
            return ApiError::unauthenticated(
                ErrorCode::Unauthenticated,
                "sign in first (Authorization: Bearer <token>)",
            )
            .into_response()
        }
        Err(e @ SessionError::Expired) => {
            return ApiError::unauthenticated(ErrorCode::SessionExpired, e.to_string())
                .into_response()
        }
    };
    let actor = Actor {
        staff_number: session.staff_number.clone(),
        role: Some(session.role),
        workstation: session.workstation.clone(),
    };
    let denied = match access {
        Access::Needs(p) if !session.role.may(p) => Some(p),
        _ => None,
    };
    let mut response = if let Some(p) = denied {
        ApiError::forbidden(
            p,
            format!(
                "not allowed for a {}: needs permission {}",
                session.role.as_str(),
                p.as_str()
            ),
        )
        .into_response()
    } else if lookup {
        match g.lookups.check(&session.staff_number, Instant::now()) {
            Err(wait) => too_many("too many lookups: slow down", wait),
            Ok(()) => {
                req.extensions_mut().insert(session);
                next.run(req).await
            }
        }
    } else {
        req.extensions_mut().insert(session);
        next.run(req).await
    };
    response.extensions_mut().insert(actor);
    response
}

/// The session token of `Authorization: Bearer <token>`.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        // The scheme is case-insensitive (RFC 7235): `bearer`, `BEARER` too.
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
}

fn too_many(message: &str, wait: std::time::Duration) -> Response {
    let mut response = ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        message,
    )
    .into_response();
    let seconds = wait.as_secs().max(1).to_string();
    if let Ok(v) = HeaderValue::from_str(&seconds) {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, v);
    }
    response
}

/// The signed-in staff member, for handlers (the guard put it there).
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| ApiError::unauthenticated(ErrorCode::Unauthenticated, "sign in first"))
    }
}

/// A supervisor's staff number and PIN (`X-Supervisor`, `X-Supervisor-Pin`) entered on
/// top of the clerk's session for a sensitive action; absent when not sent.
pub struct SupervisorHeaders(pub Option<SupervisorPin>);

impl FromRequestParts<Kiosk> for SupervisorHeaders {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, k: &Kiosk) -> Result<Self, Self::Rejection> {
        let get = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (Some(staff_number), Some(pin)) = (get("x-supervisor"), get("x-supervisor-pin")) else {
            return Ok(SupervisorHeaders(None));
        };
        // Each one is a PIN guess: limited per clerk (all their sessions) and per supervisor
        // named, as sign-ins are per device.
        let clerk = parts
            .extensions
            .get::<Session>()
            .map_or("", |s| s.staff_number.as_str());
        let limits = &k.pin_attempts;
        let now = Instant::now();
        limits
            .approvals_by_clerk
            .check(clerk, now)
            .and_then(|()| limits.approvals_for_supervisor.check(&staff_number, now))
            .map_err(|wait| too_many("too many supervisor PIN attempts: wait", wait))?;
        Ok(SupervisorHeaders(Some(SupervisorPin { staff_number, pin })))
    }
}

/// Set on a response whose action a supervisor approved with their PIN: the audit row
/// names them.
#[derive(Debug, Clone)]
pub struct ApprovedBy(pub String);

/// `response`, marked as approved by `supervisor` (if one approved).
pub fn approved(mut response: Response, supervisor: Option<String>) -> Response {
    if let Some(s) = supervisor {
        response.extensions_mut().insert(ApprovedBy(s));
    }
    response
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn table(op: serde_json::Value) -> AccessTable {
        AccessTable::from_document(&json!({ "paths": { "/api/thing": { "post": op } } }))
    }

    #[test]
    fn an_operation_without_a_security_rule_is_refused() {
        let t = table(json!({ "responses": {} }));
        assert_eq!(t.rule(&Method::POST, "/api/thing"), None);
    }

    #[test]
    fn an_unreadable_rule_is_refused() {
        for security in [
            json!([{ "session": ["no.such.permission"] }]),
            json!([{ "session": ["card.lookup", "sale.checkout"] }]),
            json!([{ "other": [] }]),
            json!("public"),
        ] {
            let t = table(json!({ "security": security }));
            assert_eq!(t.rule(&Method::POST, "/api/thing"), None, "{security}");
        }
    }

    #[test]
    fn security_requirements_read_as_access_rules() {
        let cases = [
            (json!([{}]), Access::Public),
            (json!([{ "session": [] }]), Access::SignedIn),
            (
                json!([{ "session": ["card.lookup"] }]),
                Access::Needs(Permission::CardLookup),
            ),
        ];
        for (security, access) in cases {
            let t = table(json!({ "security": security, "x-lookup-limit": true }));
            assert_eq!(
                t.rule(&Method::POST, "/api/thing"),
                Some(RouteRule {
                    access,
                    lookup: true
                })
            );
            assert_eq!(t.rule(&Method::GET, "/api/thing"), None);
        }
    }
}
