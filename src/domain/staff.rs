//! Staff roles and what each may do (R-SVC-2), the PIN rules and the lockout after wrong PINs:
//! pure, so the permission table and the lockout arithmetic are tested without a server.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RuleViolation;

/// A staff member's role. Head-office admins look after the chain (policy, audit) and do no
/// counter work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Cashier,
    LoungeClerk,
    DeskClerk,
    Supervisor,
    HqAdmin,
}

/// Something a staff member may do. The name (`as_str`) is what a 403 says is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
pub enum Permission {
    /// Look up a card, read a card in the reader.
    CardLookup,
    /// Price a basket and commit a sale, redemption included.
    SaleCheckout,
    /// Refund a sale rung up at the staff member's own till.
    RefundOwnTill,
    /// Refund a sale of any till.
    RefundAnyTill,
    /// Approve a refund over the store's limit (with a supervisor PIN).
    RefundOverLimit,
    MemberEnrol,
    /// See a member's record (masked personal data).
    MemberRead,
    /// See personal data in full (ID number, phone, address).
    MemberReadFull,
    MemberUpdate,
    CardUpgrade,
    CardReactivate,
    /// Birthday gifts and gift exchanges.
    GiftIssue,
    ParkingIssue,
    CardReportLoss,
    /// Replace a lost or damaged card, collecting the fee.
    CardReplace,
    /// Rewrite a card's chip after a renewal or downgrade.
    CardRewrite,
    /// Waive a replacement fee (with a supervisor PIN).
    FeeWaive,
    /// Unblock a card reported lost by mistake, the same day (with a supervisor PIN).
    CardUnblock,
    /// Add or take points by hand, with a reason code (with a supervisor PIN).
    PointsAdjust,
    /// Retry, reprint and preview receipts.
    PrintManage,
    /// End-of-day figures of any workstation, and the store's reports (members, card
    /// activity, points, print faults).
    DailyReport,
    StaffManage,
    AuditView,
    /// Run the annual review.
    ReviewRun,
    PolicyManage,
}

/// Actions a clerk can do only with a supervisor's PIN entered on top of the session.
pub const NEEDS_SUPERVISOR_PIN: [Permission; 4] = [
    Permission::RefundOverLimit,
    Permission::FeeWaive,
    Permission::CardUnblock,
    Permission::PointsAdjust,
];

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Cashier,
        Role::LoungeClerk,
        Role::DeskClerk,
        Role::Supervisor,
        Role::HqAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Cashier => "cashier",
            Role::LoungeClerk => "lounge_clerk",
            Role::DeskClerk => "desk_clerk",
            Role::Supervisor => "supervisor",
            Role::HqAdmin => "hq_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The permission table (README, "Staff roles").
    pub fn may(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            // Everything in the store; the sensitive four still need the PIN entered again.
            Role::Supervisor => !matches!(p, PolicyManage),
            Role::Cashier => matches!(p, CardLookup | SaleCheckout | RefundOwnTill | PrintManage),
            Role::LoungeClerk => matches!(
                p,
                CardLookup
                    | MemberEnrol
                    | MemberRead
                    | MemberReadFull
                    | MemberUpdate
                    | CardUpgrade
                    | CardReactivate
                    | GiftIssue
                    | ParkingIssue
                    | CardRewrite
                    | PrintManage
            ),
            Role::DeskClerk => matches!(
                p,
                CardLookup | MemberRead | CardReportLoss | CardReplace | CardRewrite | PrintManage
            ),
            Role::HqAdmin => matches!(p, PolicyManage | AuditView | ReviewRun),
        }
    }
}

impl Permission {
    pub const ALL: [Permission; 25] = [
        Permission::CardLookup,
        Permission::SaleCheckout,
        Permission::RefundOwnTill,
        Permission::RefundAnyTill,
        Permission::RefundOverLimit,
        Permission::MemberEnrol,
        Permission::MemberRead,
        Permission::MemberReadFull,
        Permission::MemberUpdate,
        Permission::CardUpgrade,
        Permission::CardReactivate,
        Permission::GiftIssue,
        Permission::ParkingIssue,
        Permission::CardReportLoss,
        Permission::CardReplace,
        Permission::CardRewrite,
        Permission::FeeWaive,
        Permission::CardUnblock,
        Permission::PointsAdjust,
        Permission::PrintManage,
        Permission::DailyReport,
        Permission::StaffManage,
        Permission::AuditView,
        Permission::ReviewRun,
        Permission::PolicyManage,
    ];

    pub fn as_str(self) -> &'static str {
        use Permission::*;
        match self {
            CardLookup => "card.lookup",
            SaleCheckout => "sale.checkout",
            RefundOwnTill => "refund.own_till",
            RefundAnyTill => "refund.any_till",
            RefundOverLimit => "refund.over_limit",
            MemberEnrol => "member.enrol",
            MemberRead => "member.read",
            MemberReadFull => "member.read_full",
            MemberUpdate => "member.update",
            CardUpgrade => "card.upgrade",
            CardReactivate => "card.reactivate",
            GiftIssue => "gift.issue",
            ParkingIssue => "parking.issue",
            CardReportLoss => "card.report_loss",
            CardReplace => "card.replace",
            CardRewrite => "card.rewrite",
            FeeWaive => "fee.waive",
            CardUnblock => "card.unblock",
            PointsAdjust => "points.adjust",
            PrintManage => "print.manage",
            DailyReport => "report.daily",
            StaffManage => "staff.manage",
            AuditView => "audit.view",
            ReviewRun => "review.run",
            PolicyManage => "policy.manage",
        }
    }

    /// Whether a supervisor's PIN must be entered for it, even by a supervisor.
    pub fn needs_supervisor_pin(self) -> bool {
        NEEDS_SUPERVISOR_PIN.contains(&self)
    }
}

/// Wrong PINs in a row that lock an account.
pub const MAX_WRONG_PINS: u32 = 5;

/// How long a locked account stays locked unless a supervisor unlocks it.
pub fn lockout() -> Duration {
    Duration::minutes(5)
}

/// An account's sign-in state after one more wrong PIN: the count, and the lock's end once
/// the count reaches [`MAX_WRONG_PINS`].
pub fn after_wrong_pin(wrong_pins: u32, now: DateTime<Utc>) -> (u32, Option<DateTime<Utc>>) {
    let wrong_pins = wrong_pins.saturating_add(1);
    if wrong_pins >= MAX_WRONG_PINS {
        (wrong_pins, Some(now + lockout()))
    } else {
        (wrong_pins, None)
    }
}

/// Whether an account locked until `locked_until` is still locked at `now`.
pub fn is_locked(locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    locked_until.is_some_and(|until| now < until)
}

/// A staff number's sign-in state: wrong PINs in a row and the end of its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignInState {
    pub wrong_pins: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// What a PIN check decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinOutcome {
    Accepted,
    Wrong,
    /// Locked now: already, or by this wrong PIN.
    Locked,
}

/// Decides a PIN check against the sign-in state *at decision time* (read where no other
/// check can interleave), and the state after it. A lock in force refuses whatever the PIN and
/// is left as it is; a lock that has run out starts the count afresh; the good PIN clears the
/// count; a wrong one counts, and the fifth locks.
pub fn decide_pin(state: SignInState, good: bool, now: DateTime<Utc>) -> (PinOutcome, SignInState) {
    if is_locked(state.locked_until, now) {
        return (PinOutcome::Locked, state);
    }
    if good {
        return (PinOutcome::Accepted, SignInState::default());
    }
    let so_far = if state.locked_until.is_some() {
        0
    } else {
        state.wrong_pins
    };
    let (wrong_pins, locked_until) = after_wrong_pin(so_far, now);
    let outcome = if locked_until.is_some() {
        PinOutcome::Locked
    } else {
        PinOutcome::Wrong
    };
    (
        outcome,
        SignInState {
            wrong_pins,
            locked_until,
        },
    )
}

/// Whether `text` holds something shaped like a phone or ID number (a mainland mobile or
/// landline number, an 18-character resident ID), separators and `+86` included. Such
/// text typed into a staff number, workstation or path field is kept out of the audit trail.
pub fn looks_like_personal_data(text: &str) -> bool {
    // Runs of digits (an ID's final X included), reading through the separators people type.
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || (matches!(c, 'X' | 'x') && run.len() == 17) {
            run.push(c);
        } else if !matches!(c, ' ' | '-' | '+' | '(' | ')' | '.') {
            runs.push(std::mem::take(&mut run));
        }
    }
    runs.push(run);
    runs.iter().any(|run| {
        let national = run
            .strip_prefix("86")
            .filter(|r| r.len() == 11)
            .unwrap_or(run);
        let mobile = national.len() == 11 && national.starts_with('1');
        let landline = (10..=12).contains(&national.len()) && national.starts_with('0');
        // 18 only: the chain's card numbers are shorter, and 15-digit IDs ended in 2013.
        let id = run.len() == 18;
        mobile || landline || id
    })
}

/// Whether a session last used at `last_seen` has been idle too long at `now`.
pub fn session_expired(last_seen: DateTime<Utc>, idle_limit: Duration, now: DateTime<Utc>) -> bool {
    now - last_seen >= idle_limit
}

/// A new PIN: 6 to 12 digits, not one digit repeated and not a run such as 123456 or 987654
/// (the first PINs anyone would try).
pub fn check_new_pin(pin: &str) -> Result<(), RuleViolation> {
    let refuse = |m: &str| Err(RuleViolation::new("R-SVC-2", m).on_field("pin"));
    let digits: Vec<i16> = pin
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| i16::from(b - b'0'))
        .collect();
    if digits.len() != pin.len() || !(6..=12).contains(&digits.len()) {
        return refuse("a PIN is 6 to 12 digits");
    }
    let steps: Vec<i16> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|&s| s == 0) {
        return refuse("a PIN may not be one digit repeated");
    }
    if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1) {
        return refuse("a PIN may not be a run of digits such as 123456");
    }
    Ok(())
}

/// A workstation id: 1 to 32 letters, digits, `-`, `_`, `.` (it names receipts and logs), not
/// shaped like a phone or ID number (it reaches the audit trail).
pub fn check_workstation(id: &str) -> Result<(), RuleViolation> {
    if (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !looks_like_personal_data(id)
    {
        Ok(())
    } else {
        Err(RuleViolation::new(
            "R-SVC-2",
            "a workstation is 1-32 letters, digits, '-', '_', '.'",
        )
        .on_field("workstation"))
    }
}

/// A staff number: 2 to 16 letters and digits (printed on the badge), not shaped like a phone
/// or ID number (it reaches the audit trail).
pub fn check_staff_number(number: &str) -> Result<(), RuleViolation> {
    if (2..=16).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_alphanumeric())
        && !looks_like_personal_data(number)
    {
        Ok(())
    } else {
        Err(
            RuleViolation::new("R-SVC-2", "a staff number is 2 to 16 letters and digits")
                .on_field("staff_number"),
        )
    }
}
