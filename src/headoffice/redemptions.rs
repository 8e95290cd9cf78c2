//! `POST /sync/v1/redemptions`: an online redemption is confirmed against the chain-wide
//! balance (plus the store's not-yet-acknowledged delta) minus other open holds, and held
//! until the sale's own events arrive. Idempotent by (store, receipt_no): a retry after a lost
//! answer gets the same approval. Holds older than [`HOLD_MINUTES`] no longer count (a sale
//! that never committed).

use sqlx::PgPool;

use super::error::HqError;
use crate::sync::protocol::{RedemptionAnswer, RedemptionRequest};

/// An open hold stops counting after this long.
pub const HOLD_MINUTES: i32 = 10;

pub async fn redeem(
    pool: &PgPool,
    store_id: &str,
    request: &RedemptionRequest,
) -> Result<RedemptionAnswer, HqError> {
    if request.points <= 0 {
        return Err(HqError::Invalid("points must be positive".into()));
    }
    if request.receipt_no.is_empty() || request.card_number.is_empty() {
        return Err(HqError::Invalid(
            "card_number and receipt_no are required".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    // The card's balance row is the lock every redemption on the card queues behind.
    sqlx::query("INSERT INTO balances (card_number, points) VALUES ($1, 0) ON CONFLICT DO NOTHING")
        .bind(&request.card_number)
        .execute(&mut *tx)
        .await?;
    let balance: i64 =
        sqlx::query_scalar("SELECT points FROM balances WHERE card_number = $1 FOR UPDATE")
            .bind(&request.card_number)
            .fetch_one(&mut *tx)
            .await?;
    let held: Option<(String, i64, i64)> = sqlx::query_as(
        "SELECT card_number, points, balance FROM holds WHERE store_id = $1 AND receipt_no = $2",
    )
    .bind(store_id)
    .bind(&request.receipt_no)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((card, points, balance)) = held {
        if card != request.card_number || points != request.points {
            return Err(HqError::Invalid(format!(
                "receipt {} already holds another redemption",
                request.receipt_no
            )));
        }
        return Ok(RedemptionAnswer {
            approved: true,
            balance,
        });
    }
    let state: Option<String> =
        sqlx::query_scalar("SELECT state FROM cards WHERE card_number = $1")
            .bind(&request.card_number)
            .fetch_optional(&mut *tx)
            .await?;
    let usable = !matches!(state.as_deref(), Some("blocked" | "replaced" | "void"));
    let open: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(points), 0)::bigint FROM holds
         WHERE card_number = $1 AND released_at IS NULL
           AND created_at > now() - make_interval(mins => $2)",
    )
    .bind(&request.card_number)
    .bind(HOLD_MINUTES)
    .fetch_one(&mut *tx)
    .await?;
    let available = balance
        .saturating_add(request.unacknowledged_delta)
        .saturating_sub(open);
    let approved = usable && request.points <= available;
    if approved {
        sqlx::query(
            "INSERT INTO holds (store_id, receipt_no, card_number, points, balance) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(store_id)
        .bind(&request.receipt_no)
        .bind(&request.card_number)
        .bind(request.points)
        .bind(available)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(RedemptionAnswer {
        approved,
        balance: available,
    })
}
