//! Enrolment at the lounge (R-ENR-1..7): checks the applicant and the same-day cash
//! receipts, reserves a card number, writes the card, then activates it with its welcome gift.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::issuing::{issue, masked};
use super::lookup::CardView;
use super::FlowError;
use crate::action::Action;
use crate::domain::card_status::CardState;
use crate::domain::enrolment::{
    card_expiry, check_applicant, same_day_cash_spend, tier_for_spend, welcome_gift, Applicant,
    PresentedReceipt,
};
use crate::domain::{RuleViolation, Tier};
use crate::kiosk::Kiosk;
use crate::store::{
    self, card_events::CardEventKind, members::MemberEvent, service_grants::GrantKind,
};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentRequest {
    pub applicant: Applicant,
    /// Receipt numbers of the applicant's purchases today (R-ENR-4).
    pub receipts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrolmentResult {
    pub member_id: String,
    pub card: CardView,
    pub tier: Tier,
    #[schema(value_type = String)]
    pub qualifying_spend: Decimal,
    /// R-ENR-6: a welcome gift voucher is to be printed.
    pub welcome_gift: bool,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptCheck {
    /// Receipt numbers of the applicant's purchases today, as presented so far.
    pub receipts: Vec<String>,
}

/// What today's receipts qualify for so far (R-ENR-4), before anything is claimed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QualifyingSpend {
    /// Same-day cash of the receipts (the cash part only, R-PAY-1).
    #[schema(value_type = String)]
    pub qualifying_spend: Decimal,
    /// The tier it reaches; none yet below the VIP threshold.
    pub tier: Option<Tier>,
    /// The next tier up and the cash still missing for it; none at the top tier.
    pub next: Option<NextTier>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NextTier {
    pub tier: Tier,
    #[schema(value_type = String)]
    pub missing: Decimal,
}

/// R-ENR-4 as the lounge adds receipts: the same checks enrolment makes (recorded here, today,
/// not used, each once), the cash they prove and the tier it reaches; claims nothing.
pub async fn qualifying_spend(
    k: &Kiosk,
    action: &Action,
    check: &ReceiptCheck,
) -> Result<QualifyingSpend, FlowError> {
    let policy = k.policy(action.today);
    let mut conn = k.db.reader.acquire().await?;
    let (_, receipts) = presented_receipts(&mut conn, &action.store_id, &check.receipts).await?;
    let spend = same_day_cash_spend(&receipts, action.today)?;
    let tier = tier_for_spend(&policy, spend).ok();
    let next = Tier::ALL
        .into_iter()
        .find(|t| Some(*t) > tier)
        .map(|t| NextTier {
            tier: t,
            missing: (policy.enrol_min_spend.get(t) - spend).max(Decimal::ZERO),
        });
    Ok(QualifyingSpend {
        qualifying_spend: spend,
        tier,
        next,
    })
}

/// The receipts as recorded, with their sale ids; unknown receipts are refused (R-ENR-4).
pub async fn presented_receipts(
    conn: &mut sqlx::SqliteConnection,
    store_id: &str,
    receipt_nos: &[String],
) -> Result<(Vec<i64>, Vec<PresentedReceipt>), FlowError> {
    match store::receipts::presented(conn, store_id, receipt_nos).await? {
        Ok(found) => Ok(found.into_iter().unzip()),
        Err(no) => Err(RuleViolation::new(
            "R-ENR-4",
            format!("receipt {no} is not a sale recorded at this store"),
        )
        .on_field("receipts")
        .into()),
    }
}

pub async fn enrol(
    k: &Kiosk,
    action: &Action,
    req: EnrolmentRequest,
) -> Result<EnrolmentResult, FlowError> {
    let policy = k.policy(action.today);
    // The applicant's fields sit under `applicant` in the request.
    let applicant = check_applicant(&policy, &req.applicant, action.today).map_err(|v| match v
        .field
        .clone()
    {
        Some(f) => v.on_field(format!("applicant.{f}")),
        None => v,
    })?;
    let expiry = card_expiry(&policy, action.today);

    // R-ENR-3 chain-wide first (head office, when online), before the writer is taken.
    super::enrolment_check::check(k, &applicant.id_document).await?;
    // The card is issued with the member record (if new) in its reservation. R-ENR-3 is
    // checked through the ID number's lookup index: the number itself is stored sealed.
    let sealer = k.sealer.clone();
    let mut tx = k.db.writer.begin().await?;
    let member =
        match store::members::find_by_document(&mut tx, &sealer, &applicant.id_document).await? {
            Some(existing) => {
                let live = store::cards::for_member(&mut tx, &existing.id)
                    .await?
                    .into_iter()
                    .any(|c| {
                        matches!(
                            c.state,
                            CardState::Active
                                | CardState::Inactive
                                | CardState::Blocked
                                | CardState::Reserved
                        ) && c.replaced_by.is_none()
                    });
                if live {
                    return Err(RuleViolation::new(
                    "R-ENR-3",
                    "this person already holds a card: use upgrade, reactivation or replacement",
                )
                .on_field("applicant.id_document")
                .into());
                }
                existing
            }
            None => store::members::insert(&mut tx, &sealer, action, &applicant).await?,
        };
    let (_, receipts) = presented_receipts(&mut tx, &action.store_id, &req.receipts).await?;
    let spend = same_day_cash_spend(&receipts, action.today)?;
    let tier = tier_for_spend(&policy, spend)?;
    let new_card = store::cards::NewCard {
        member_id: &member.id,
        tier,
        valid_from: action.today,
        expiry,
        generation: 1,
        replaces: None,
        upgrade_points_carried: 0,
    };
    let (number, view, gift) = issue(k, action, tx, new_card, "enrolment", async |tx, card| {
        // The receipts again: another enrolment may have claimed one while the card was
        // being written.
        let (sale_ids, receipts) = presented_receipts(tx, &action.store_id, &req.receipts).await?;
        same_day_cash_spend(&receipts, action.today)?;
        let number = &card.number;
        store::receipts::claim(tx, &sale_ids, "enrolment", number, action.today).await?;
        store::cards::set_state(tx, action, number, CardState::Active).await?;
        // The member first, then its card: head office meets them in that order. As stored:
        // personal data sealed (R-SVC-1).
        store::members::record_outbox(tx, action, &member.id, MemberEvent::Enrolled).await?;
        store::card_events::record(tx, action, number, CardEventKind::Issued, &json!({ "tier": tier, "qualifying_spend": spend, "valid_from": action.today, "expiry": expiry })).await?;
        let gift = welcome_gift(&policy, tier);
        if gift {
            store::service_grants::record(
                tx,
                action,
                GrantKind::WelcomeGift,
                number,
                &member.id,
                1,
                &json!({ "tier": tier }),
            )
            .await?;
        }
        let card = store::cards::find(tx, number)
            .await?
            .ok_or(FlowError::NotFound {
                what: "card",
                field: "card_number",
            })?;
        let view = super::lookup::view(tx, &card, &member, action.today).await?;
        Ok((card.number, view, gift))
    })
    .await?;
    tracing::info!(card = %masked(&number), tier = tier.as_str(), staff = %action.staff_id, "member enrolled");
    Ok(EnrolmentResult {
        member_id: member.id,
        card: view,
        tier,
        qualifying_spend: spend,
        welcome_gift: gift,
    })
}
