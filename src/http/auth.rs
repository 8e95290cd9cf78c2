//! Who may call what (R-SVC-2): the access table of every API route, and the guard that
//! enforces it before any handler runs — a bearer session for all but the public routes,
//! the route's permission for the session's role (403 naming it), and the rate limits on
//! sign-ins and lookups. A route missing from the table is refused: the guard fails closed.

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

/// Routes whose calls count against the per-session lookup limit.
fn is_lookup(method: &Method, route: &str) -> bool {
    matches!(
        (method.as_str(), route),
        ("GET", "/api/cards/{card_number}")
            | ("GET", "/api/members/{member_id}")
            | ("POST", "/api/members/search")
            | ("POST", "/api/readers/{workstation}/read")
    )
}

/// The access table (README, "Staff roles and permissions"). `None`: not in the table.
pub fn access(method: &Method, route: &str) -> Option<Access> {
    use Access::*;
    use Permission::*;
    let a = match (method.as_str(), route) {
        ("GET", "/api/openapi.json" | "/api/health") => Public,
        ("POST", "/api/sessions") => Public,
        // Unknown routes answer 404 to anyone.
        (_, "/api/{*rest}") => Public,
        ("GET" | "DELETE", "/api/session") => SignedIn,
        ("GET", "/api/policy" | "/api/gifts" | "/api/readers" | "/api/readers/events") => SignedIn,
        ("GET", "/api/printers") => SignedIn,
        ("GET", "/api/demo/tray") => SignedIn,
        // Counter staff, at their own workstation unless a supervisor: checked in the handler.
        ("POST", "/api/demo/tray/{workstation}/insert" | "/api/demo/tray/{workstation}/remove") => {
            Needs(CardLookup)
        }
        ("POST", "/api/policy") => Needs(PolicyManage),
        ("POST", "/api/quotes" | "/api/sales") => Needs(SaleCheckout),
        // Any till's sales need refund.any_till: checked against the sale in the flow.
        ("POST", "/api/sales/{receipt_no}/refunds") => Needs(RefundOwnTill),
        ("GET", "/api/cards/{card_number}") => Needs(CardLookup),
        ("POST", "/api/cards/{card_number}/upgrade") => Needs(CardUpgrade),
        ("POST", "/api/cards/{card_number}/loss-report") => Needs(CardReportLoss),
        // Plus a supervisor's PIN for card.unblock, checked in the flow.
        ("POST", "/api/cards/{card_number}/loss-report/cancellation") => Needs(CardReportLoss),
        ("POST", "/api/cards/{card_number}/replacement") => Needs(CardReplace),
        ("POST", "/api/cards/{card_number}/reactivation") => Needs(CardReactivate),
        ("POST", "/api/cards/{card_number}/parking") => Needs(ParkingIssue),
        (
            "POST",
            "/api/cards/{card_number}/birthday-gift" | "/api/cards/{card_number}/gift-exchanges",
        ) => Needs(GiftIssue),
        // Plus a supervisor's PIN for points.adjust, checked in the flow.
        ("POST", "/api/cards/{card_number}/points-adjustments") => Needs(CardLookup),
        ("POST", "/api/members") => Needs(MemberEnrol),
        ("GET", "/api/members/{member_id}" | "/api/birthdays") => Needs(MemberRead),
        ("POST", "/api/members/search") => Needs(MemberRead),
        ("PATCH", "/api/members/{member_id}/contact") => Needs(MemberUpdate),
        ("POST", "/api/readers/{workstation}/read") => Needs(CardLookup),
        ("POST", "/api/readers/{workstation}/rewrite") => Needs(CardRewrite),
        (
            "GET",
            "/api/print-jobs" | "/api/print-jobs/{job_id}" | "/api/print-jobs/{job_id}/preview",
        ) => Needs(PrintManage),
        ("POST", "/api/print-jobs/{job_id}/retry" | "/api/print-jobs/{job_id}/reprint") => {
            Needs(PrintManage)
        }
        ("POST", "/api/workstations/{workstation}/daily-summary") => Needs(DailyReport),
        ("POST", "/api/review") => Needs(ReviewRun),
        ("GET", "/api/loss-reports/overdue") => Needs(CardReportLoss),
        ("GET" | "POST", "/api/staff") => Needs(StaffManage),
        ("PATCH", "/api/staff/{staff_number}") => Needs(StaffManage),
        ("POST", "/api/staff/{staff_number}/unlock" | "/api/staff/{staff_number}/pin") => {
            Needs(StaffManage)
        }
        ("GET", "/api/audit") => Needs(AuditView),
        _ => return None,
    };
    Some(a)
}

/// The guard's shared state: the kiosk (sessions, clock) and the two rate limiters.
#[derive(Clone)]
pub struct Guard {
    pub kiosk: Kiosk,
    pub sign_ins: Arc<RateLimiter>,
    pub lookups: Arc<RateLimiter>,
}

impl Guard {
    pub fn new(kiosk: Kiosk) -> Guard {
        Guard {
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
    let known_route = [
        Method::GET,
        Method::POST,
        Method::PATCH,
        Method::PUT,
        Method::DELETE,
    ]
    .iter()
    .any(|m| access(m, &route).is_some());
    let Some(access) = access(req.method(), &route) else {
        if known_route {
            // Another method of a guarded route: the router answers 405, no handler runs.
            return next.run(req).await;
        }
        tracing::error!(method = %req.method(), %route, "route missing from the access table");
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "this endpoint has no access rule: refused",
            None,
            None,
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
            return ApiError::unauthenticated("sign in first (Authorization: Bearer <token>)")
                .into_response()
        }
        Err(e @ SessionError::Expired) => {
            return ApiError::unauthenticated(e.to_string()).into_response()
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
    } else if is_lookup(req.method(), &route) {
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
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

fn too_many(message: &str, wait: std::time::Duration) -> Response {
    let mut response =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, message, None, None).into_response();
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
            .ok_or_else(|| ApiError::unauthenticated("sign in first"))
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
