//! R-ENR-3 across the chain: before a store enrols someone, it asks head office whether the
//! person (by the blind index of the ID document, never the number) already holds a live
//! card anywhere. Offline — or no answer in time — the store enrols on its own check, and a
//! duplicate is flagged for the lounge when the sync brings the other record (docs/sync.md §7).

use std::time::Duration;

use super::FlowError;
use crate::domain::id_document::IdDocument;
use crate::domain::RuleViolation;
use crate::kiosk::Kiosk;
use crate::store::sealed::LookupField;
use crate::sync::protocol::EnrolmentCheck;

/// The longest the lounge waits for head office before enrolling on the local check alone.
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

/// Refuses under R-ENR-3 when head office knows a live card of this person; Ok otherwise
/// (including: no head office, offline, no answer in time).
pub async fn check(k: &Kiosk, doc: &IdDocument) -> Result<(), FlowError> {
    let Some(head_office) = k.head_office.clone() else {
        return Ok(());
    };
    if !k.sync.snapshot().online() {
        return Ok(());
    }
    let request = EnrolmentCheck {
        id_kind: doc.kind.as_str().to_owned(),
        id_lookup: k.sealer.lookup(LookupField::IdNumber, &doc.number),
    };
    let answer = match tokio::time::timeout(ANSWER_WITHIN, head_office.check_enrolment(&request))
        .await
    {
        Ok(Ok(answer)) => answer,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "enrolment not checked with head office; local check only");
            k.sync.failed(k.clock.now(), e.to_string());
            return Ok(());
        }
        Err(_) => {
            tracing::warn!(
                "head office did not answer the enrolment check in time; local check only"
            );
            return Ok(());
        }
    };
    match answer.members.iter().find(|m| m.live_card.is_some()) {
        Some(known) => Err(RuleViolation::new(
            "R-ENR-3",
            format!(
                "this person already holds a card in the chain (enrolled at store {}): use upgrade, reactivation or replacement",
                known.home_store
            ),
        )
        .on_field("applicant.id_document")
        .into()),
        None => Ok(()),
    }
}
