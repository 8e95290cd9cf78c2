//! Checkout: quoting a basket and committing a sale. Commits are idempotent on the store's
//! receipt number, recomputed on the server, and written through the group-commit writer
//! (`store::group_commit`), so concurrent sales share one fsync.

use std::sync::Arc;

use chrono::{DateTime, Days, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::SqliteConnection;
use utoipa::ToSchema;

use super::lookup::{load_card, member_context, parse_card_number};
use super::printing;
use super::slips::{self, SlipContext};
use super::FlowError;
use crate::action::Action;
use crate::domain::basket::{Basket, BasketLine, Tender};
use crate::domain::events::{
    Encoded, Event, Money, RedemptionAuthority, SaleCommitted, SaleLine, SaleTender,
};
use crate::domain::ledger::{plan_earning, EntryKind, PlannedEntry, Standing};
use crate::domain::money::two_places;
use crate::domain::policy::Policy;
use crate::domain::quote::{check_tenders_settle, quote, Quote};
use crate::domain::Tier;
use crate::kiosk::Kiosk;
use crate::receipt::document::Document;
use crate::secrets::DataSecrets;
use crate::store::audit::{self, AuditEntry};
use crate::store::group_commit::BoxFuture;
use crate::store::members::Member;
use crate::store::print_jobs;
use crate::store::sealed::Sealer;
use crate::store::{self, ledger::Refs, StoreError};

/// A basket to price, optionally for a member card.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    #[serde(default)]
    pub card_number: Option<String>,
    pub lines: Vec<BasketLine>,
    #[serde(default)]
    pub tenders: Vec<Tender>,
    #[serde(default)]
    pub redeem_points: i64,
}

/// A sale as the till commits it. Totals are never taken from the till: the server prices
/// the lines again and the tenders must settle its payable amount.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleRequest {
    /// The store's receipt number: the idempotency key.
    pub receipt_no: String,
    pub till_id: String,
    #[serde(default)]
    pub card_number: Option<String>,
    pub lines: Vec<BasketLine>,
    pub tenders: Vec<Tender>,
    #[serde(default)]
    pub redeem_points: i64,
}

/// Points on the receipt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptPoints {
    pub earned: i64,
    pub redeemed: i64,
    /// Part of `earned` that paid off refund debt (R-PTS-9).
    pub debt_repaid: i64,
    pub balance: i64,
    /// R-PTS-5: the day the points earned here become redeemable.
    pub usable_from: NaiveDate,
}

/// The committed sale, as returned to the till (and replayed on a retry).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaleReceipt {
    pub store_id: String,
    pub receipt_no: String,
    pub till_id: String,
    pub staff_id: String,
    pub business_day: NaiveDate,
    pub committed_at: DateTime<Utc>,
    pub card_number: Option<String>,
    pub tier: Option<Tier>,
    pub quote: Quote,
    pub tenders: Vec<Tender>,
    pub points: Option<ReceiptPoints>,
    pub policy_version: u32,
}

/// Prices a basket (read-only).
pub async fn quote_basket(k: &Kiosk, req: QuoteRequest) -> Result<Quote, FlowError> {
    let today = k.today();
    let policy = k.policy(today);
    let basket = Basket {
        lines: req.lines,
        tenders: req.tenders,
        redeem_points: req.redeem_points,
    };
    let mut conn = k.db.reader.acquire().await?;
    let member = match req.card_number.as_deref() {
        Some(raw) => {
            let (card, member) = load_card(&mut conn, &k.sealer, &parse_card_number(raw)?).await?;
            let (standing, _) = store::ledger::standing(&mut conn, &card.number, today).await?;
            Some(member_context(&card, &member, &standing, today)?)
        }
        None => None,
    };
    Ok(quote(&policy, &basket, member.as_ref(), today)?)
}

/// Commits a sale; returns the answer as JSON text (the stored answer's bytes with the print
/// outcome, so a retry gets the same sale) and whether the sale's audit row was written with
/// it (not for a replay).
///
/// The sale is priced, its answer serialised and its receipt laid out here, on the request's
/// own task (in parallel with other sales), against the card as the reader sees it. The
/// group-commit writer, which runs one sale after another, then only checks that the card and
/// its ledger are unchanged since (one row read) and writes the rows; it prices the sale again
/// itself only when they changed, or when pricing here failed (a replay must still get its
/// stored answer, whatever became of the card since).
pub async fn commit_sale(
    k: &Kiosk,
    by: &Action,
    req: SaleRequest,
) -> Result<(String, bool), FlowError> {
    check_receipt_no("receipt_no", &req.receipt_no)?;
    if req.till_id.trim().is_empty()
        || (!k.config.tills.is_empty() && !k.config.tills.contains(&req.till_id))
    {
        return Err(FlowError::invalid("till_id", "unknown till"));
    }
    // The sale belongs to the till it was rung on (its receipts print there).
    let action = Action {
        workstation: req.till_id.clone(),
        ..by.clone()
    };
    let workstation = action.workstation.clone();
    // Across the chain, a redemption needs head office's confirmation or the offline bounds
    // (flows::redemption) before the sale can commit.
    let redemption = match req.card_number.as_deref() {
        Some(raw) if req.redeem_points > 0 => {
            let card = parse_card_number(raw)?;
            super::redemption::authorise(k, card.as_str(), &req.receipt_no, req.redeem_points)
                .await?
        }
        _ => None,
    };
    let sale = Sale {
        redemption,
        hash: request_hash(&canonical(&req)),
        policy: k.policy(action.today),
        slip: slips::context(k, &workstation),
        action,
        request: req,
        sealer: k.sealer.clone(),
    };
    let priced = {
        let mut conn = k.db.reader.acquire().await?;
        price(&mut conn, &sale).await.ok()
    };
    let job = Job {
        sale,
        priced,
        secrets: k.secrets.clone(),
    };
    let committed = k
        .group_commit
        .write(move |conn| commit_one(conn, job))
        .await?;
    // The receipt job was stored with the sale; it prints now. A printer fault never undoes
    // the sale. A replayed sale is not printed again (the till asks for a reprint): it answers
    // what became of the first print, so a till that retried knows whether its receipt came out.
    match committed {
        Committed::Fresh {
            answer,
            print_job,
            doc,
        } => {
            let outcome = printing::print_stored(k, print_job, &workstation, doc).await;
            let print = serde_json::to_string(&[outcome])
                .map_err(|_| StoreError::Corrupt("print outcome"))?;
            Ok((with_member(&answer, "print", &print)?, true))
        }
        Committed::Replay(stored) => {
            let mut outcomes = Vec::new();
            for job_id in receipt_print_jobs(&stored) {
                outcomes.push(printing::stored_outcome(k, job_id).await?);
            }
            Ok((slips::with_print(stored, outcomes).to_string(), false))
        }
    }
}

/// The print jobs a stored sale answer names (`print[].job_id`); none for a sale stored
/// before the answer kept them.
pub(crate) fn receipt_print_jobs(stored: &Value) -> Vec<i64> {
    stored["print"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|outcome| outcome["job_id"].as_i64())
        .collect()
}

/// `object` (a JSON object's text) with the member `"name": value` added at its end, so an
/// answer serialised once is never parsed and serialised again.
fn with_member(object: &str, name: &str, value: &str) -> Result<String, FlowError> {
    let body = object
        .trim_end()
        .strip_suffix('}')
        .ok_or(StoreError::Corrupt("sale answer"))?;
    let comma = if body.trim_end().ends_with('{') {
        ""
    } else {
        ","
    };
    Ok(format!("{body}{comma}\"{name}\":{value}}}"))
}

/// What the committer hands back: a sale committed just now (its answer without the print
/// outcome, and its receipt's print job and document), or the answer stored for a replay (it
/// names its receipt's print job).
enum Committed {
    Fresh {
        answer: String,
        print_job: i64,
        doc: Document,
    },
    Replay(Value),
}

/// Receipt and refund numbers: 1–40 letters, digits, `-`, `_` or `/`.
pub fn check_receipt_no(field: &'static str, no: &str) -> Result<(), FlowError> {
    let ok = (1..=40).contains(&no.len())
        && no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_/".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(FlowError::invalid(
            field,
            "must be 1-40 letters, digits, '-', '_' or '/'",
        ))
    }
}

/// The request with every amount in its shortest form, so `"900.0"` and `"900.00"` are the
/// same sale for idempotency.
fn canonical(req: &SaleRequest) -> SaleRequest {
    let mut c = req.clone();
    for l in &mut c.lines {
        l.unit_price = l.unit_price.normalize();
        l.original_unit_price = l.original_unit_price.map(|p| p.normalize());
    }
    for t in &mut c.tenders {
        t.amount = t.amount.normalize();
    }
    c
}

/// SHA-256 of the request's canonical JSON: two bodies that parse the same hash the same.
pub fn request_hash(request: &impl Serialize) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(request).unwrap_or_default(),
    ))
}

/// A sale as rung: everything pricing it needs, owned (the writer has no `Kiosk`).
struct Sale {
    action: Action,
    /// Who allowed the sale's redemption (None: no redemption, or no head office).
    redemption: Option<RedemptionAuthority>,
    policy: Arc<Policy>,
    request: SaleRequest,
    /// The request's idempotency hash.
    hash: String,
    /// For the receipt queued with the sale.
    slip: SlipContext,
    /// Opens the card holder's row.
    sealer: Arc<Sealer>,
}

/// A sale for the group-commit writer.
struct Job {
    sale: Sale,
    /// Priced before queuing; None if that failed (the writer prices it and answers why).
    priced: Option<Priced>,
    /// Keys the sale's audit row.
    secrets: Arc<DataSecrets>,
}

/// The card a sale was priced on, its holder and its ledger's standing, as they were read.
struct Holder {
    card: store::cards::Card,
    member: Member,
    standing: Standing,
    /// Seq of the card's last ledger entry then (see `store::ledger::standing`).
    last_entry: i64,
}

/// A priced sale: its rows, its answer and its receipt, ready to write.
struct Priced {
    holder: Option<Holder>,
    basket: Basket,
    receipt: SaleReceipt,
    cash_like: Vec<bool>,
    cash_paid: Decimal,
    booking: Option<PointsBooking>,
    /// The receipt as JSON: the answer without its print outcome.
    answer: String,
    doc: Document,
    /// `doc` as the print queue stores it.
    doc_json: String,
    /// The `sale.committed` event, encoded here with the answer (not in the writer).
    event: Encoded,
}

/// Prices `sale` against the card and its ledger as `conn` sees them.
async fn price(conn: &mut SqliteConnection, sale: &Sale) -> Result<Priced, FlowError> {
    let holder = match sale.request.card_number.as_deref() {
        Some(raw) => {
            let (card, member) = load_card(conn, &sale.sealer, &parse_card_number(raw)?).await?;
            let (standing, last_entry) =
                store::ledger::standing(conn, &card.number, sale.action.today).await?;
            Some(Holder {
                card,
                member,
                standing,
                last_entry,
            })
        }
        None => None,
    };
    compose(sale, holder)
}

/// The sale as priced before it was queued, if its card and ledger are unchanged since (one
/// row read; a cash sale depends on neither). If only the ledger moved (another sale on the
/// card committed first) it is priced again on the ledger's standing now, with the card and
/// holder as read (the card row is unchanged, a holder's birth date and id never change);
/// if the card changed, or pricing failed before queuing, it is priced from scratch. All of
/// this runs in the writer's transaction: R-PTS-5/7 hold on the ledger as it is at commit.
async fn priced_at_commit(
    conn: &mut SqliteConnection,
    sale: &Sale,
    priced: Option<Priced>,
) -> Result<Priced, FlowError> {
    let Some(priced) = priced else {
        return price(conn, sale).await;
    };
    let Some(holder) = &priced.holder else {
        return Ok(priced);
    };
    match store::cards::find_with_last_entry(conn, &holder.card.number).await? {
        Some((card, last_entry)) if card == holder.card => {
            if last_entry == holder.last_entry {
                return Ok(priced);
            }
            let (standing, last_entry) =
                store::ledger::standing(conn, &card.number, sale.action.today).await?;
            let holder = priced.holder.map(|h| Holder {
                standing,
                last_entry,
                ..h
            });
            compose(sale, holder)
        }
        _ => price(conn, sale).await,
    }
}

/// Prices `sale` for the card `holder` as read (none: a cash sale): the receipt, its answer
/// and its printed receipt.
fn compose(sale: &Sale, holder: Option<Holder>) -> Result<Priced, FlowError> {
    let (action, policy, req) = (&sale.action, &sale.policy, &sale.request);
    let member = match holder {
        Some(holder) => {
            let context =
                member_context(&holder.card, &holder.member, &holder.standing, action.today)?;
            let balance = holder.standing.balance;
            Some((holder, context, balance))
        }
        None => None,
    };
    let basket = Basket {
        lines: req.lines.clone(),
        tenders: req.tenders.clone(),
        redeem_points: req.redeem_points,
    };
    let priced = quote(policy, &basket, member.as_ref().map(|m| &m.1), action.today)?;
    check_tenders_settle(&priced, &basket)?;
    let cash_like: Vec<bool> = basket
        .tenders
        .iter()
        .map(|t| policy.is_cash_like(&t.kind) == Some(true))
        .collect();
    let cash_paid: Decimal = basket
        .tenders
        .iter()
        .zip(&cash_like)
        .filter(|(_, c)| **c)
        .map(|(t, _)| t.amount)
        .sum();
    let booking = member
        .as_ref()
        .map(|(holder, _, balance)| plan_points(&holder.card, *balance, &priced, action.today));
    let receipt = SaleReceipt {
        store_id: action.store_id.clone(),
        receipt_no: req.receipt_no.clone(),
        till_id: req.till_id.clone(),
        staff_id: action.staff_id.clone(),
        business_day: action.today,
        committed_at: action.now,
        card_number: member.as_ref().map(|m| m.0.card.number.clone()),
        tier: priced.tier,
        quote: priced,
        tenders: basket
            .tenders
            .iter()
            .map(|t| Tender {
                kind: t.kind.clone(),
                amount: two_places(t.amount),
            })
            .collect(),
        points: booking.as_ref().map(|b| b.receipt.clone()),
        policy_version: policy.version,
    };
    let answer =
        serde_json::to_string(&receipt).map_err(|_| StoreError::Corrupt("sale receipt"))?;
    let member_id = member.as_ref().map(|m| m.0.member.id.as_str());
    let redemption = sale.redemption.filter(|_| receipt.quote.redeem_points > 0);
    let event = sale_event(
        &receipt, &basket, &cash_like, cash_paid, member_id, redemption,
    )
    .encode()
    .map_err(|_| StoreError::Corrupt("sale event"))?;
    let doc = slips::sale(&sale.slip, action, &receipt, &basket);
    let doc_json = print_jobs::serialise(&doc)?;
    Ok(Priced {
        holder: member.map(|m| m.0),
        basket,
        receipt,
        cash_like,
        cash_paid,
        booking,
        answer,
        doc,
        doc_json,
        event,
    })
}

/// The `sale.committed` event of a priced sale: its totals, lines and tenders as the
/// contract types carry them (the answer to the till is its own type).
fn sale_event(
    receipt: &SaleReceipt,
    basket: &Basket,
    cash_like: &[bool],
    cash_paid: Decimal,
    member_id: Option<&str>,
    redemption: Option<RedemptionAuthority>,
) -> Event {
    let q = &receipt.quote;
    Event::SaleCommitted(SaleCommitted {
        receipt_no: receipt.receipt_no.clone(),
        till_id: receipt.till_id.clone(),
        staff_id: receipt.staff_id.clone(),
        business_day: receipt.business_day,
        committed_at: receipt.committed_at,
        card_number: receipt.card_number.clone(),
        member_id: member_id.map(str::to_owned),
        tier: q.tier,
        birthday: q.birthday,
        group_purchase: q.group_purchase,
        gross: Money(q.gross_total),
        discount: Money(q.discount_total),
        net: Money(q.net_total),
        redeem_points: q.redeem_points,
        redeem_amount: Money(q.redeem_value),
        payable: Money(q.payable),
        cash: Money(cash_paid),
        points_earned: q.points_earned,
        policy_version: i64::from(receipt.policy_version),
        // Head office's confirmation or the offline bounds (flows::redemption).
        redemption,
        lines: q
            .lines
            .iter()
            .map(|l| SaleLine {
                sku: l.sku.clone(),
                class: l.class.as_str().to_owned(),
                quantity: i64::from(l.quantity),
                unit_price: Money(l.unit_price),
                gross: Money(l.gross),
                discount: Money(l.discount),
                net: Money(l.net),
                redemption: Money(l.redemption_share),
                redemption_points: l.redemption_points,
                paid: Money(l.paid),
                points_earned: l.points_earned,
            })
            .collect(),
        tenders: basket
            .tenders
            .iter()
            .zip(cash_like)
            .map(|(t, cash)| SaleTender {
                kind: t.kind.clone(),
                amount: Money(t.amount),
                cash_like: *cash,
            })
            .collect(),
    })
}

/// Writes one sale (or finds it filed already: a replay) inside the writer's transaction.
fn commit_one(
    conn: &mut SqliteConnection,
    job: Job,
) -> BoxFuture<'_, Result<Committed, FlowError>> {
    Box::pin(async move {
        let sale = &job.sale;
        let (action, req) = (&sale.action, &sale.request);
        if let Some(filed) =
            store::sales::find_by_receipt(conn, &action.store_id, &req.receipt_no).await?
        {
            if filed.request_hash == sale.hash {
                return serde_json::from_str(&filed.response)
                    .map(Committed::Replay)
                    .map_err(|_| StoreError::Corrupt("sales.response").into());
            }
            return Err(FlowError::conflict(
                crate::flows::ErrorCode::IdempotencyConflict,
                "receipt number already used for a different sale",
                None,
                Some("receipt_no"),
            ));
        }
        let priced = priced_at_commit(conn, sale, job.priced).await?;
        let print_job = print_jobs::insert_serialised(
            conn,
            &action.workstation,
            priced.doc.kind,
            &priced.doc_json,
            action.now,
            None,
        )
        .await?;
        // The stored answer names the receipt's job, so a replay can tell how it printed.
        let response = with_member(
            &priced.answer,
            "print",
            &format!("[{{\"job_id\":{print_job}}}]"),
        )?;
        let holder = priced.holder.as_ref();
        let sale_id = store::sales::insert(
            conn,
            action,
            &store::sales::NewSale {
                receipt_no: &req.receipt_no,
                till_id: &req.till_id,
                card_number: holder.map(|h| h.card.number.as_str()),
                member_id: holder.map(|h| h.member.id.as_str()),
                basket: &priced.basket,
                quote: &priced.receipt.quote,
                cash_paid: priced.cash_paid,
                cash_like: &priced.cash_like,
                policy_version: sale.policy.version,
                request_hash: &sale.hash,
                response: &response,
            },
        )
        .await?;
        // The sale's event (encoded when it was priced), then its ledger entries.
        store::outbox::record_encoded(
            conn,
            &action.store_id,
            &format!("{}:{}", action.store_id, req.receipt_no),
            &priced.event,
            action.now,
        )
        .await?;
        if let (Some(holder), Some(booking)) = (holder, &priced.booking) {
            store::ledger::append(
                conn,
                action,
                &holder.card.number,
                &booking.entries,
                Refs {
                    sale_id: Some(sale_id),
                    receipt_no: Some(&req.receipt_no),
                    ..Refs::default()
                },
            )
            .await?;
            if booking.debt_left != holder.card.points_debt {
                store::cards::set_debt(conn, &holder.card.number, booking.debt_left).await?;
            }
        }
        // The request's audit row, in the sale's own transaction: as durable as the sale.
        let entry = AuditEntry {
            store_id: action.store_id.clone(),
            at: action.now,
            staff_id: action.staff_id.clone(),
            role: action.role.map(|r| r.as_str().to_owned()),
            workstation: action.workstation.clone(),
            action: "POST /api/sales".into(),
            target: Some(req.receipt_no.clone()),
            detail: None,
            result: 201,
        };
        audit::append(conn, job.secrets.audit_key(), &entry).await?;
        // Counted against the offline bounds until head office acknowledges this sale.
        if let (Some(authority), Some(holder)) = (sale.redemption, holder) {
            let points = priced.receipt.quote.redeem_points;
            if points > 0 && authority == RedemptionAuthority::Offline {
                // The bounds were checked before the sale was queued; concurrent tills may
                // all have passed that check, so the one writer checks again against what
                // is written (a refusal rolls back this sale's savepoint only).
                let card_points =
                    store::sync_state::offline_redeemed(conn, Some(&holder.card.number)).await?;
                let store_points = store::sync_state::offline_redeemed(conn, None).await?;
                crate::domain::offline::within_allowance(
                    &sale.policy.offline,
                    card_points,
                    store_points,
                    points,
                )
                .map_err(|v| FlowError::from(v.on_field("redeem_points")))?;
            }
            if points > 0 {
                store::sync_state::record_redemption(
                    conn,
                    &req.receipt_no,
                    &holder.card.number,
                    points,
                    authority,
                    action.today,
                    action.now,
                )
                .await?;
            }
        }
        Ok(Committed::Fresh {
            answer: priced.answer,
            print_job,
            doc: priced.doc,
        })
    })
}

/// What a card sale books, planned before anything is written.
struct PointsBooking {
    entries: Vec<PlannedEntry>,
    debt_left: i64,
    receipt: ReceiptPoints,
}

/// Redemption, earning and debt repayment for a card sale (R-PTS-4/5/7/9).
fn plan_points(
    card: &store::cards::Card,
    balance: i64,
    priced: &Quote,
    today: NaiveDate,
) -> PointsBooking {
    let mut entries = Vec::new();
    if priced.redeem_points > 0 {
        entries.push(PlannedEntry {
            kind: EntryKind::Redeem,
            points: -priced.redeem_points,
        });
    }
    let (earning, debt_left) = plan_earning(priced.points_earned, card.points_debt);
    entries.extend(earning);
    let receipt = ReceiptPoints {
        earned: priced.points_earned,
        redeemed: priced.redeem_points,
        debt_repaid: card.points_debt - debt_left,
        balance: balance + entries.iter().map(|e| e.points).sum::<i64>(),
        usable_from: today.checked_add_days(Days::new(1)).unwrap_or(today),
    };
    PointsBooking {
        entries,
        debt_left,
        receipt,
    }
}

#[cfg(test)]
mod tests {
    use super::with_member;

    #[test]
    fn a_member_is_added_at_the_end_of_the_object() {
        let answer = with_member(r#"{"a":1,"b":{"c":2}}"#, "print", r#"[{"job_id":7}]"#);
        let parsed: serde_json::Value =
            serde_json::from_str(&answer.expect("an object")).expect("JSON");
        assert_eq!(
            parsed,
            serde_json::json!({ "a": 1, "b": { "c": 2 }, "print": [{ "job_id": 7 }] })
        );
        assert_eq!(
            with_member("{ }", "print", "[]").expect("an object"),
            r#"{ "print":[]}"#
        );
        assert!(with_member("[1]", "print", "[]").is_err());
    }
}
