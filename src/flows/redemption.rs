//! Who allows a sale's points redemption across the chain (docs/sync.md §6): online, head
//! office confirms it against the chain-wide balance before the sale commits; offline (or
//! head office not answering), the policy's offline bounds decide. A store without head
//! office (sync not configured) is the only authority on its own ledger: nothing to ask.

use std::time::Duration;

use sqlx::SqliteConnection;

use super::FlowError;
use crate::domain::events::RedemptionAuthority;
use crate::domain::offline::{self, OfflineStanding};
use crate::domain::RuleViolation;
use crate::kiosk::Kiosk;
use crate::store::{sync_state, StoreError};
use crate::sync::client::HeadOfficeError;
use crate::sync::protocol::RedemptionRequest;

/// The longest a till waits for head office's confirmation before the offline bounds decide.
const CONFIRM_WITHIN: Duration = Duration::from_secs(3);

/// Authorises redeeming `points` on `card_number` for sale `receipt_no`, or refuses under
/// R-PTS-7. None: no head office, no authority to record.
pub async fn authorise(
    k: &Kiosk,
    card_number: &str,
    receipt_no: &str,
    points: i64,
) -> Result<Option<RedemptionAuthority>, FlowError> {
    let Some(head_office) = k.head_office.clone() else {
        return Ok(None);
    };
    if points <= 0 {
        return Ok(None);
    }
    if k.sync.snapshot().online() {
        let unacknowledged_delta = {
            let mut conn = k.db.reader.acquire().await?;
            unacknowledged_delta(&mut conn, &k.config.store_id, card_number).await?
        };
        let request = RedemptionRequest {
            card_number: card_number.to_owned(),
            receipt_no: receipt_no.to_owned(),
            points,
            unacknowledged_delta,
        };
        let wait = CONFIRM_WITHIN.min(Duration::from_millis(
            k.config.head_office.request_timeout_ms,
        ));
        let answer = match tokio::time::timeout(wait, head_office.redeem(&request)).await {
            Ok(answer) => answer,
            Err(_) => Err(HeadOfficeError::Unreachable(
                "no confirmation in time".into(),
            )),
        };
        match answer {
            Ok(a) if a.approved => return Ok(Some(RedemptionAuthority::HeadOffice)),
            Ok(a) => {
                return Err(RuleViolation::new(
                    "R-PTS-7",
                    format!(
                        "head office holds {} points on this card across the chain: not enough to redeem {points}",
                        a.balance
                    ),
                )
                .on_field("redeem_points")
                .into())
            }
            // No answer: the store is offline for this sale; the bounds decide below.
            Err(e) => {
                tracing::warn!(error = %e, "redemption not confirmed by head office; offline bounds apply");
                k.sync.failed(k.clock.now(), e.to_string());
            }
        }
    }
    let snapshot = k.sync.snapshot();
    let (card_offline_points, store_offline_points) = {
        let mut conn = k.db.reader.acquire().await?;
        (
            sync_state::offline_redeemed(&mut conn, Some(card_number)).await?,
            sync_state::offline_redeemed(&mut conn, None).await?,
        )
    };
    let standing = OfflineStanding {
        now: k.clock.now(),
        hotlist_at: snapshot.hotlist_at,
        offline_since: snapshot.offline_since,
        card_offline_points,
        store_offline_points,
    };
    offline::redemption_allowed(&k.policy(k.today()).offline, &standing, points)
        .map_err(|v| v.on_field("redeem_points"))?;
    Ok(Some(RedemptionAuthority::Offline))
}

/// The sum of this store's own entries on the card that head office has not acknowledged
/// (their `ledger.entry` events are still in the outbox): head office can't know them yet.
pub async fn unacknowledged_delta(
    conn: &mut SqliteConnection,
    store_id: &str,
    card_number: &str,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(SUM(p.points), 0) FROM points_ledger p
         WHERE p.card_number = ?1 AND p.store_id = ?2 AND p.origin_seq IS NULL
           AND EXISTS (SELECT 1 FROM outbox o WHERE o.sent_at IS NULL AND o.entity_id = p.store_id || ':' || p.seq)",
    )
    .bind(card_number)
    .bind(store_id)
    .fetch_one(conn)
    .await?)
}
