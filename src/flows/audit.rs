//! Keeping the audit chain honest while the kiosk runs: the back office's check, which reads
//! only the rows added since the last one, and the anchors, copies of the chain's head written
//! outside the database (the anchor file; the daily summary slip prints one) so a cut tail or a
//! re-chained history no longer matches them. `Kiosk::audit_head` is what head-office sync
//! will carry off the store.

use std::time::Duration;

use crate::kiosk::Kiosk;
use crate::store::audit::{self, VerifyReport};
use crate::store::StoreError;

/// How often a running kiosk anchors the head (only if the chain grew): a tail cut off
/// later than the last anchor is the most it can lose unseen.
pub const ANCHOR_EVERY: Duration = Duration::from_secs(15 * 60);

/// Checks the chain. The first check of this process, and any with `full`, walks the whole
/// chain and every anchor in the anchor file; later ones check that the head verified last is
/// still there with the same hash and read only the rows after it.
pub async fn check(k: &Kiosk, full: bool) -> Result<VerifyReport, StoreError> {
    let mut verified = k.audit_chain.verified.lock().await;
    let since = verified.clone().filter(|_| !full);
    let anchors = match since {
        Some(_) => Vec::new(),
        None => audit::read_anchors(&k.config.audit_anchors())?,
    };
    let mut conn = k.db.reader.acquire().await?;
    let report = audit::verify(&mut conn, k.secrets.audit_key(), since.as_ref(), &anchors).await?;
    if report.is_ok() {
        *verified = Some(report.head.clone());
    }
    Ok(report)
}

/// Anchors the head every [`ANCHOR_EVERY`] until `shutdown` fires; a failure is logged and
/// tried again at the next tick.
pub async fn anchor_periodically(k: Kiosk, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(ANCHOR_EVERY) => {}
            _ = shutdown.changed() => return,
        }
        if let Err(error) = k.anchor_audit("periodic").await {
            tracing::error!(%error, "audit head not anchored");
        }
    }
}
