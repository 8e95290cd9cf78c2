//! The HTTP API (axum, JSON) for tills and the kiosk UI, plus the UI's static files. One
//! router file per resource; `serve` takes its listener and shutdown signal from outside.

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
pub mod sales;
pub mod staff;
pub mod tray;

use std::future::Future;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use utoipa::OpenApi;

use crate::kiosk::Kiosk;

/// Largest request body accepted (a 200-line basket is well under this).
const BODY_LIMIT: usize = 256 * 1024;

pub fn router(kiosk: Kiosk) -> Router {
    let ui = ServeDir::new(&kiosk.config.ui_dir).append_index_html_on_directories(true);
    let api = Router::new()
        .route(
            "/api/openapi.json",
            get(|| async { Json(openapi::ApiDoc::openapi()) }),
        )
        .route("/api/health", get(back_office::health))
        .route("/api/sessions", post(staff::sign_in))
        .route("/api/session", get(staff::whoami).delete(staff::sign_out))
        .route("/api/staff", get(staff::list).post(staff::add))
        .route("/api/staff/{staff_number}", patch(staff::change))
        .route("/api/staff/{staff_number}/unlock", post(staff::unlock))
        .route("/api/staff/{staff_number}/pin", post(staff::reset_pin))
        .route("/api/audit", get(back_office::audit_trail))
        .route("/api/quotes", post(sales::quote))
        .route("/api/sales", post(sales::commit))
        .route("/api/sales/{receipt_no}/refunds", post(sales::refund))
        .route("/api/cards/{card_number}", get(cards::get))
        .route("/api/cards/{card_number}/upgrade", post(cards::upgrade))
        .route(
            "/api/cards/{card_number}/loss-report",
            post(cards::report_loss),
        )
        .route(
            "/api/cards/{card_number}/loss-report/cancellation",
            post(cards::withdraw_loss_report),
        )
        .route(
            "/api/cards/{card_number}/points-adjustments",
            post(cards::adjust_points),
        )
        .route("/api/cards/{card_number}/replacement", post(cards::replace))
        .route(
            "/api/cards/{card_number}/reactivation",
            post(cards::reactivate),
        )
        .route("/api/cards/{card_number}/parking", post(cards::parking))
        .route(
            "/api/cards/{card_number}/birthday-gift",
            post(cards::birthday_gift),
        )
        .route(
            "/api/cards/{card_number}/gift-exchanges",
            post(cards::exchange_gift),
        )
        .route("/api/members", post(members::enrol))
        .route("/api/members/search", post(members::search))
        .route("/api/members/{member_id}", get(members::get))
        .route(
            "/api/members/{member_id}/contact",
            patch(members::update_contact),
        )
        .route("/api/birthdays", get(members::birthdays))
        .route("/api/readers", get(readers::list))
        .route("/api/readers/events", get(readers::events))
        .route("/api/readers/{workstation}/read", post(readers::read))
        .route("/api/readers/{workstation}/rewrite", post(readers::rewrite))
        .route("/api/demo/tray", get(tray::view))
        .route("/api/demo/tray/{workstation}/insert", post(tray::insert))
        .route("/api/demo/tray/{workstation}/remove", post(tray::remove))
        .route("/api/print-jobs", get(printing::list))
        .route("/api/print-jobs/{job_id}", get(printing::get))
        .route("/api/print-jobs/{job_id}/preview", get(printing::preview))
        .route("/api/print-jobs/{job_id}/retry", post(printing::retry))
        .route("/api/print-jobs/{job_id}/reprint", post(printing::reprint))
        .route("/api/printers", get(printing::printers))
        .route(
            "/api/workstations/{workstation}/daily-summary",
            post(back_office::daily_summary),
        )
        .route("/api/review", post(back_office::run_review))
        .route(
            "/api/policy",
            get(back_office::policy).post(back_office::publish_policy),
        )
        .route("/api/gifts", get(back_office::gifts))
        .route(
            "/api/loss-reports/overdue",
            get(back_office::overdue_loss_reports),
        )
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async {
                error::ApiError::new(
                    axum::http::StatusCode::NOT_FOUND,
                    "no such endpoint",
                    None,
                    None,
                )
            }),
        )
        .method_not_allowed_fallback(|| async {
            error::ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method not allowed on this endpoint",
                None,
                None,
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        // Every route's access rule, before any handler (and inside the audit, which records
        // refusals too). `route_layer`: runs once the route is matched, so it knows which.
        .route_layer(axum::middleware::from_fn_with_state(
            auth::Guard::new(kiosk.clone()),
            auth::guard,
        ))
        // Outermost, so refusals by the body limit and extractors are audited too.
        .layer(axum::middleware::from_fn_with_state(
            kiosk.clone(),
            audit::record,
        ))
        .with_state(kiosk);
    api.fallback_service(ui)
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
