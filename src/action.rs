//! Who performs a staff action, at which workstation, in which store, and when: passed to
//! every state change so each record says who did it (R-SVC-2).

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::staff::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub store_id: String,
    pub staff_id: String,
    /// The signed-in staff member's role; None for the system itself (daily review, CLI).
    pub role: Option<Role>,
    /// `lounge`, `checkout-N`, `desk`, or a till id.
    pub workstation: String,
    /// Store-local business day.
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}
