//! Head office's HTTP API over TLS: the stores' `/sync/v1/…` routes (bearer: the store's
//! credential) and the staff's `/api/hq/…` routes (bearer: an `hq_admin` session). Bodies
//! are parsed here so a malformed one is a JSON `{error, code}` like every other refusal.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::config::ServeConfig;
use super::error::HqError;
use super::HeadOffice;
use super::{credentials, enrolment, feed, ingest, keys, redemptions, reports, review, staff, tls};
use crate::card::keys::Keyring;
use crate::domain::staff::Role;
use crate::sync::protocol::{
    ChainKeys, ChangesAnswer, EnrolmentCheck, EnrolmentCheckAnswer, PushAnswer, PushRequest,
    RedemptionAnswer, RedemptionRequest, StoreStatus,
};

/// A push of 1,000 large sales stays well under this.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn router(ho: HeadOffice) -> Router {
    Router::new()
        .route("/sync/v1/push", post(push))
        .route("/sync/v1/changes", get(changes))
        .route("/sync/v1/redemptions", post(redeem))
        .route("/sync/v1/enrolment-check", post(enrolment_check))
        .route("/sync/v1/keys", get(chain_keys))
        .route("/sync/v1/status", get(store_status))
        .route("/api/hq/sessions", post(sign_in))
        .route("/api/hq/stores", get(stores))
        .route("/api/hq/reports/debts", get(debts))
        .route("/api/hq/unknown-events", get(unknown_events))
        .route("/api/hq/alarms", get(alarms))
        .route("/api/health", get(health))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(ho)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, HqError> {
    // Plain serde_json first: tracking the path costs on every value of a 1,000-event push.
    // Only a body that fails is read again to say where.
    serde_json::from_slice(bytes).or_else(|_| {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de)
            .map_err(|e| HqError::Invalid(format!("request body: {} at {}", e.inner(), e.path())))
    })
}

async fn store(ho: &HeadOffice, headers: &HeaderMap) -> Result<String, HqError> {
    credentials::authenticate(&ho.pool, bearer(headers)).await
}

async fn admin(ho: &HeadOffice, headers: &HeaderMap) -> Result<staff::HqSession, HqError> {
    let session = staff::session(&ho.pool, bearer(headers)).await?;
    if session.role != Role::HqAdmin {
        return Err(HqError::Forbidden);
    }
    Ok(session)
}

async fn push(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<PushAnswer>, HqError> {
    let store_id = store(&ho, &headers).await?;
    let request: PushRequest = body(&bytes)?;
    Ok(Json(ingest::push(&ho.pool, &store_id, &request).await?))
}

#[derive(Deserialize)]
struct ChangesQuery {
    #[serde(default)]
    after: i64,
    limit: Option<i64>,
    /// The store's own changes too (a store rebuilding itself from head office).
    #[serde(default)]
    include_own: bool,
}

async fn changes(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ChangesAnswer>, HqError> {
    let store_id = store(&ho, &headers).await?;
    let Query(q) = query.map_err(|e| HqError::Invalid(e.body_text()))?;
    let limit = q.limit.unwrap_or(500);
    // No store id is empty: excluding "" leaves nobody's changes out.
    let leave_out = if q.include_own { "" } else { store_id.as_str() };
    Ok(Json(feed::page(&ho.pool, leave_out, q.after, limit).await?))
}

/// The asking store's high-water mark and highest stored seq (docs/sync.md §8).
async fn store_status(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
) -> Result<Json<StoreStatus>, HqError> {
    let store_id = store(&ho, &headers).await?;
    let (high_water, max_seq): (i64, i64) = sqlx::query_as(
        "SELECT s.high_water, COALESCE((SELECT MAX(seq) FROM events e WHERE e.store_id = s.store_id), 0)
         FROM stores s WHERE s.store_id = $1",
    )
    .bind(&store_id)
    .fetch_one(&ho.pool)
    .await?;
    Ok(Json(StoreStatus {
        store_id,
        high_water,
        max_seq,
    }))
}

async fn redeem(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<RedemptionAnswer>, HqError> {
    let store_id = store(&ho, &headers).await?;
    let request: RedemptionRequest = body(&bytes)?;
    Ok(Json(
        redemptions::redeem(&ho.pool, &store_id, &request).await?,
    ))
}

async fn enrolment_check(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<EnrolmentCheckAnswer>, HqError> {
    store(&ho, &headers).await?;
    let request: EnrolmentCheck = body(&bytes)?;
    Ok(Json(enrolment::check(&ho.pool, &request).await?))
}

async fn chain_keys(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
) -> Result<Json<ChainKeys>, HqError> {
    store(&ho, &headers).await?;
    // Read on every request: a rotation by the CLI or another process is served at once.
    let keyring = Keyring::load(&ho.key_file)
        .map_err(|e| HqError::Internal(format!("chain key file: {e}")))?;
    Ok(Json(keys::chain_keys(&keyring)))
}

async fn sign_in(
    State(ho): State<HeadOffice>,
    bytes: Bytes,
) -> Result<Json<staff::SignedIn>, HqError> {
    let request: staff::SignIn = body(&bytes)?;
    Ok(Json(
        staff::sign_in(&ho.pool, ho.secrets.clone(), request).await?,
    ))
}

async fn stores(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
) -> Result<Json<Vec<reports::StoreSync>>, HqError> {
    admin(&ho, &headers).await?;
    Ok(Json(reports::stores(&ho.pool).await?))
}

async fn debts(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
) -> Result<Json<Vec<reports::Debt>>, HqError> {
    admin(&ho, &headers).await?;
    Ok(Json(reports::debts(&ho.pool).await?))
}

async fn unknown_events(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
) -> Result<Json<Vec<reports::UnknownEvents>>, HqError> {
    admin(&ho, &headers).await?;
    Ok(Json(reports::unknown_events(&ho.pool).await?))
}

async fn alarms(
    State(ho): State<HeadOffice>,
    headers: HeaderMap,
) -> Result<Json<Vec<reports::Alarm>>, HqError> {
    admin(&ho, &headers).await?;
    Ok(Json(reports::alarms(&ho.pool).await?))
}

async fn health(State(ho): State<HeadOffice>) -> Result<Json<Value>, HqError> {
    let _: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&ho.pool).await?;
    Ok(Json(
        json!({ "status": "ok", "mode": "head_office", "database": "ok" }),
    ))
}

/// Binds `config.listen`, prints the bound address (tests read it from stdout), serves over
/// TLS until `shutdown` resolves, and runs the daily review job if asked.
pub async fn serve(
    ho: HeadOffice,
    config: &ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let tls = tls::server_config(&config.tls_cert, &config.tls_key).context("TLS certificate")?;
    let listener = std::net::TcpListener::bind(&config.listen)
        .with_context(|| format!("listening on {}", config.listen))?;
    listener.set_nonblocking(true)?;
    let address: SocketAddr = listener.local_addr()?;
    println!("head office listening on https://{address}");
    {
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    tracing::info!(%address, "head office serving");
    let job = config.review_job.then(|| {
        let pool = ho.pool.clone();
        tokio::spawn(async move {
            let mut last = None;
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                review::review_if_due(&pool, &mut last).await;
            }
        })
    });
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let app = router(ho);
    axum_server::from_tcp_rustls(
        listener,
        axum_server::tls_rustls::RustlsConfig::from_config(tls),
    )
    .handle(handle)
    .serve(app.into_make_service())
    .await
    .context("serving")?;
    if let Some(job) = job {
        job.abort();
    }
    Ok(())
}
