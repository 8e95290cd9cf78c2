//! The HTTP API (axum, JSON) for tills and the kiosk UI, plus the UI's static files. One
//! file per resource; each route is declared once, by its handler's `#[utoipa::path]`
//! (path, method, permission, documented answers), and listed in `routes`. `serve` takes
//! its listener and shutdown signal from outside.

pub mod audit;
pub mod auth;
pub mod back_office;
pub mod cards;
pub mod error;
pub mod extract;
pub mod members;
pub mod openapi;
pub mod printing;
pub mod readers;
pub mod reports;
pub mod sales;
pub mod staff;
pub mod tray;
pub mod ui;
pub mod workstations;

use std::future::Future;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::net::TcpListener;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::flows::ErrorCode;
use crate::kiosk::Kiosk;
use error::ApiError;

/// Largest request body accepted (a 200-line basket is well under this).
const BODY_LIMIT: usize = 256 * 1024;

/// Longest request target (path and query) accepted; the API's longest is well under this.
/// (Beyond 64 KiB the HTTP library itself answers 414, before any of this runs.)
pub const URI_LIMIT: usize = 8 * 1024;

/// Every API operation, each with the handler whose annotation declares it. The OpenAPI
/// document and the guard's access table are built from this same list.
pub(crate) fn routes() -> OpenApiRouter<Kiosk> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(openapi::document))
        .routes(routes!(back_office::health))
        .routes(routes!(staff::sign_in))
        .routes(routes!(staff::whoami, staff::sign_out))
        .routes(routes!(staff::list, staff::add))
        .routes(routes!(staff::change))
        .routes(routes!(staff::unlock))
        .routes(routes!(staff::reset_pin))
        .routes(routes!(back_office::audit_trail))
        .routes(routes!(sales::quote))
        .routes(routes!(sales::commit))
        .routes(routes!(sales::sale))
        .routes(routes!(sales::refund))
        .routes(routes!(cards::get))
        .routes(routes!(cards::upgrade))
        .routes(routes!(cards::report_loss))
        .routes(routes!(cards::withdraw_loss_report))
        .routes(routes!(cards::adjust_points))
        .routes(routes!(cards::replace))
        .routes(routes!(cards::reactivate))
        .routes(routes!(cards::parking))
        .routes(routes!(cards::birthday_gift))
        .routes(routes!(cards::exchange_gift))
        .routes(routes!(members::enrol))
        .routes(routes!(members::qualifying_spend))
        .routes(routes!(members::search))
        .routes(routes!(members::get))
        .routes(routes!(members::update_contact))
        .routes(routes!(members::birthdays))
        .routes(routes!(members::duplicate_members))
        .routes(routes!(members::resolve_duplicate))
        .routes(routes!(readers::list))
        .routes(routes!(readers::events))
        .routes(routes!(readers::read))
        .routes(routes!(readers::rewrite))
        .routes(routes!(tray::view))
        .routes(routes!(tray::insert))
        .routes(routes!(tray::remove))
        .routes(routes!(printing::list))
        .routes(routes!(printing::get))
        .routes(routes!(printing::preview))
        .routes(routes!(printing::retry))
        .routes(routes!(printing::reprint))
        .routes(routes!(printing::printers))
        .routes(routes!(back_office::daily_summary))
        .routes(routes!(back_office::run_review))
        .routes(routes!(back_office::policy, back_office::publish_policy))
        .routes(routes!(back_office::gifts))
        .routes(routes!(back_office::overdue_loss_reports))
        .routes(routes!(reports::members))
        .routes(routes!(reports::card_activity))
        .routes(routes!(reports::points))
        .routes(routes!(reports::print_faults))
        .routes(routes!(workstations::store))
}

pub fn router(kiosk: Kiosk) -> Router {
    let ui = ui::router(&kiosk.config.ui_dir);
    let (api, _) = routes().split_for_parts();
    api.method_not_allowed_fallback(|| async {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::MethodNotAllowed,
            "method not allowed on this endpoint",
        )
    })
    .layer(DefaultBodyLimit::max(BODY_LIMIT))
    // Every route's access rule, before any handler (and inside the audit, which records
    // refusals too). `route_layer`: runs once the route is matched, so it knows which; the
    // catch-all below is added after it, so unknown paths answer 404 to anyone.
    .route_layer(axum::middleware::from_fn_with_state(
        auth::Guard::new(kiosk.clone()),
        auth::guard,
    ))
    .route(
        "/api/{*rest}",
        axum::routing::any(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NoSuchEndpoint,
                "no such endpoint",
            )
        }),
    )
    // Outermost of the API, so refusals by the body limit and extractors are audited too.
    .layer(axum::middleware::from_fn_with_state(
        kiosk.clone(),
        audit::record,
    ))
    .with_state(kiosk)
    .merge(ui)
    .layer(axum::middleware::from_fn(error_bodies))
}

/// Every refusal answers the JSON error body: a request target over [`URI_LIMIT`] is a 414,
/// and an error without a JSON body (the static files' 404 or 405) gets one.
async fn error_bodies(req: Request, next: Next) -> Response {
    let target_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if target_len > URI_LIMIT {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            ErrorCode::UriTooLong,
            format!("request target longer than {URI_LIMIT} bytes"),
        )
        .into_response();
    }
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NoSuchEndpoint,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        s if s.is_server_error() => ErrorCode::InternalError,
        _ => ErrorCode::InvalidPath,
    };
    let reason = status.canonical_reason().unwrap_or("refused");
    let mut answer = ApiError::new(status, code, reason.to_lowercase()).into_response();
    // Keep what the status needs (`Allow` on a 405).
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            answer.headers_mut().insert(name, v.clone());
        }
    }
    answer
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    kiosk: Kiosk,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The client address feeds the sign-in rate limit.
    axum::serve(
        listener,
        router(kiosk).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
