//! The back office's check of the audit chain while the kiosk runs: it reads only the rows
//! added since the last check, against the anchors (the chain's head written outside the
//! database by `Kiosk::anchor_audit`; the daily summary slip prints one). `Kiosk::audit_head`
//! is what head-office sync will carry off the store.

use crate::kiosk::Kiosk;
use crate::store::audit::{self, VerifyReport};
use crate::store::StoreError;

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
