//! The points ledger (R-PTS-5/7/8/9, R-UPG-1): append-only signed entries per card; the
//! balance is their sum and never goes below zero; a shortfall on reversal becomes a debt.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Kinds of points entries. Sign conventions: `Earn`, `Bonus`, `RedemptionRestore` and
/// `TransferIn` are positive; `Redeem`, `GiftExchange`, `Reversal`, `TransferOut` and
/// `DebtRepayment` are negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Points earned by a sale (R-PTS-1/2).
    Earn,
    /// Campaign bonus (R-PTS-8): spendable, never counts toward upgrade.
    Bonus,
    /// Points paid toward a sale (R-PTS-4).
    Redeem,
    /// Points exchanged for a catalogue gift (R-PTS-6).
    GiftExchange,
    /// Earned points taken back by a refund (R-PTS-9).
    Reversal,
    /// Redeemed points given back by a refund (R-PTS-9).
    RedemptionRestore,
    /// Balance moved in from the card this one replaced (R-UPG-4, R-REP-5).
    TransferIn,
    /// Balance moved out to the replacing card.
    TransferOut,
    /// Earnings that paid off a reversal debt (R-PTS-9).
    DebtRepayment,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Earn => "earn",
            EntryKind::Bonus => "bonus",
            EntryKind::Redeem => "redeem",
            EntryKind::GiftExchange => "gift_exchange",
            EntryKind::Reversal => "reversal",
            EntryKind::RedemptionRestore => "redemption_restore",
            EntryKind::TransferIn => "transfer_in",
            EntryKind::TransferOut => "transfer_out",
            EntryKind::DebtRepayment => "debt_repayment",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        [
            EntryKind::Earn,
            EntryKind::Bonus,
            EntryKind::Redeem,
            EntryKind::GiftExchange,
            EntryKind::Reversal,
            EntryKind::RedemptionRestore,
            EntryKind::TransferIn,
            EntryKind::TransferOut,
            EntryKind::DebtRepayment,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One ledger entry as the rules see it: kind, signed points, store-local day it was booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    pub points: i64,
    pub day: NaiveDate,
}

/// A planned entry, not yet booked (the caller books it with today's date).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PlannedEntry {
    pub kind: EntryKind,
    pub points: i64,
}

/// R-PTS-7: the balance is the sum of the entries.
pub fn balance(entries: &[Entry]) -> i64 {
    entries.iter().map(|e| e.points).sum()
}

/// R-PTS-5: points redeemable on `today` — the balance less what was earned (earn, bonus,
/// restore, transfer of same-day earnings is not tracked: transfers count as old) today,
/// never below zero.
pub fn redeemable_on(entries: &[Entry], today: NaiveDate) -> i64 {
    let _ = (entries, today);
    unimplemented!("redeemable_on")
}

/// R-UPG-1: transaction-earned points since issue: `carried` (from a replaced card of the
/// same tier) + earn − reversal. Bonus, redemptions, gifts and transfers don't count.
pub fn upgrade_points(carried: i64, entries: &[Entry]) -> i64 {
    let _ = (carried, entries);
    unimplemented!("upgrade_points")
}

/// R-PTS-9: earning `earned` points while `debt` is owed: the entries to book (an `Earn`
/// and, if there is debt, a `DebtRepayment`) and the debt left.
pub fn plan_earning(earned: i64, debt: i64) -> (Vec<PlannedEntry>, i64) {
    let _ = (earned, debt);
    unimplemented!("plan_earning")
}

/// R-PTS-9: a refund takes back `reverse` earned points and gives back `restore` redeemed
/// points, on a card whose balance is `balance`. Restoring is booked first; the reversal
/// never drives the balance below zero: the shortfall is returned as new debt.
pub fn plan_reversal(balance: i64, reverse: i64, restore: i64) -> (Vec<PlannedEntry>, i64) {
    let _ = (balance, reverse, restore);
    unimplemented!("plan_reversal")
}
