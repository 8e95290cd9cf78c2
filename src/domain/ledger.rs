//! The points ledger (R-PTS-5/7/8/9, R-UPG-1): append-only signed entries per card; the
//! balance is their sum and never goes below zero; a shortfall on reversal becomes a debt.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Kinds of points entries. Sign conventions: `Earn`, `Bonus`, `RedemptionRestore` and
/// `TransferIn`/`TransferInFresh` are positive; `Redeem`, `GiftExchange`, `Reversal`, `TransferOut` and
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
    /// The part of a moved balance that was earned on the day of the move: spendable like
    /// `TransferIn`, but only from the next day (R-PTS-5), as it would have been on the old card.
    TransferInFresh,
    /// Balance moved out to the replacing card.
    TransferOut,
    /// Earnings that paid off a reversal debt (R-PTS-9).
    DebtRepayment,
    /// Points added or taken by hand with a reason code, approved by a supervisor. Spendable
    /// at once; never counts toward an upgrade (not earned by a transaction, R-UPG-1).
    Adjustment,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Earn => "earn",
            EntryKind::Bonus => "bonus",
            EntryKind::Adjustment => "adjustment",
            EntryKind::Redeem => "redeem",
            EntryKind::GiftExchange => "gift_exchange",
            EntryKind::Reversal => "reversal",
            EntryKind::RedemptionRestore => "redemption_restore",
            EntryKind::TransferIn => "transfer_in",
            EntryKind::TransferInFresh => "transfer_in_fresh",
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
            EntryKind::TransferInFresh,
            EntryKind::TransferOut,
            EntryKind::DebtRepayment,
            EntryKind::Adjustment,
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

/// R-UPG-4, R-REP-5: the entries that move a card's whole `balance` to its successor on
/// `today` — out of the old card, and into the new one split so that points not yet
/// redeemable on the old card are not redeemable on the new one either (R-PTS-5).
pub fn plan_transfer(old_entries: &[Entry], today: NaiveDate) -> (PlannedEntry, Vec<PlannedEntry>) {
    let moved = balance(old_entries).max(0);
    let fresh = moved - redeemable_on(old_entries, today);
    let into = [
        (EntryKind::TransferIn, moved - fresh),
        (EntryKind::TransferInFresh, fresh),
    ]
    .into_iter()
    .filter(|(_, points)| *points > 0)
    .map(|(kind, points)| PlannedEntry { kind, points })
    .collect();
    (
        PlannedEntry {
            kind: EntryKind::TransferOut,
            points: -moved,
        },
        into,
    )
}

/// R-PTS-7: the balance is the sum of the entries.
pub fn balance(entries: &[Entry]) -> i64 {
    entries.iter().map(|e| e.points).sum()
}

/// R-PTS-5: the kinds whose positive entries are not redeemable on the day they are booked.
/// Restored redemptions and `TransferIn` (points earned before the day of a card exchange)
/// are redeemable at once.
pub const FRESH_KINDS: [EntryKind; 3] = [
    EntryKind::Earn,
    EntryKind::Bonus,
    EntryKind::TransferInFresh,
];

/// A card's points on a day, as pricing needs them: the balance and the points earned that
/// day (the positive entries of [`FRESH_KINDS`] booked on it). The store can sum them in SQL
/// instead of reading the card's whole history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Standing {
    pub balance: i64,
    pub earned_today: i64,
}

impl Standing {
    /// The standing on `today` from the card's entries.
    pub fn of(entries: &[Entry], today: NaiveDate) -> Standing {
        Standing {
            balance: balance(entries),
            earned_today: entries
                .iter()
                .filter(|e| e.day == today && FRESH_KINDS.contains(&e.kind))
                .map(|e| e.points.max(0))
                .sum(),
        }
    }

    /// R-PTS-5: points redeemable — the balance less the points earned today, kept within
    /// `0..=balance`.
    pub fn redeemable(&self) -> i64 {
        self.balance
            .saturating_sub(self.earned_today)
            .clamp(0, self.balance.max(0))
    }
}

/// R-PTS-5: points redeemable on `today` (see [`Standing::redeemable`]).
pub fn redeemable_on(entries: &[Entry], today: NaiveDate) -> i64 {
    Standing::of(entries, today).redeemable()
}

/// R-UPG-1: transaction-earned points since issue: `carried` (from a replaced card of the
/// same tier) + earn + reversal + debt repayment, less the points `debt` still owed. A refund
/// that could not take its points back at once (R-PTS-9) is taken off the count here, both
/// the part repaid since and the part still owed. Bonus, redemptions, restores, gifts and
/// transfers don't count. Pass `debt` 0 to get the figure a replacement card carries over
/// (the debt itself moves with the balance). Never below zero: a refund of a sale made with
/// an earlier card can't take the new card's count below its start.
pub fn upgrade_points(carried: i64, debt: i64, entries: &[Entry]) -> i64 {
    (carried
        + entries
            .iter()
            .filter(|e| {
                matches!(
                    e.kind,
                    EntryKind::Earn | EntryKind::Reversal | EntryKind::DebtRepayment
                )
            })
            .map(|e| e.points)
            .sum::<i64>()
        - debt.max(0))
    .max(0)
}

/// R-PTS-9: earning `earned` points while `debt` is owed: the entries to book (an `Earn`
/// and, if there is debt, a `DebtRepayment` of up to the earned points) and the debt left.
/// Nothing is booked for `earned <= 0`; a negative `debt` counts as none.
pub fn plan_earning(earned: i64, debt: i64) -> (Vec<PlannedEntry>, i64) {
    let debt = debt.max(0);
    if earned <= 0 {
        return (Vec::new(), debt);
    }
    let mut entries = vec![PlannedEntry {
        kind: EntryKind::Earn,
        points: earned,
    }];
    let repaid = earned.min(debt);
    if repaid > 0 {
        entries.push(PlannedEntry {
            kind: EntryKind::DebtRepayment,
            points: -repaid,
        });
    }
    (entries, debt - repaid)
}

/// R-PTS-9: a refund takes back `reverse` earned points and gives back `restore` redeemed
/// points, on a card whose balance is `balance`. Restoring is booked first; the reversal
/// never drives the balance below zero: the shortfall is returned as new debt. Zero amounts
/// book nothing; negative `reverse` / `restore` (and balance) count as zero.
pub fn plan_reversal(balance: i64, reverse: i64, restore: i64) -> (Vec<PlannedEntry>, i64) {
    let reverse = reverse.max(0);
    let restore = restore.max(0);
    let mut entries = Vec::new();
    if restore > 0 {
        entries.push(PlannedEntry {
            kind: EntryKind::RedemptionRestore,
            points: restore,
        });
    }
    let taken = reverse.min(balance.max(0).saturating_add(restore));
    if taken > 0 {
        entries.push(PlannedEntry {
            kind: EntryKind::Reversal,
            points: -taken,
        });
    }
    (entries, reverse - taken)
}
