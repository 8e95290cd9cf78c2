//! Publishing a new policy version (head office, R-POL): it takes effect on its own day,
//! never before today, and an existing version is never replaced.

use super::FlowError;
use crate::action::Action;
use crate::domain::policy::Policy;
use crate::kiosk::Kiosk;
use crate::store::{self, StoreError};

/// Stores `policy` as a new version and puts it in force from its `effective_from`.
pub async fn publish(k: &Kiosk, action: &Action, policy: Policy) -> Result<Policy, FlowError> {
    if policy.effective_from < action.today {
        return Err(FlowError::invalid(
            "effective_from",
            "a policy cannot take effect in the past",
        ));
    }
    let latest = k.policy(chrono::NaiveDate::MAX).version;
    if policy.version <= latest {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::PolicyVersionConflict,
            format!("policy version must be above {latest}"),
            None,
            Some("version"),
        ));
    }
    let mut conn = k.db.writer.acquire().await.map_err(StoreError::from)?;
    if !store::policy::insert_if_new(&mut conn, &policy, action.now).await? {
        return Err(FlowError::conflict(
            crate::flows::ErrorCode::PolicyVersionConflict,
            "this policy version is already on file",
            None,
            Some("version"),
        ));
    }
    k.remember_policy(policy.clone());
    tracing::info!(version = policy.version, effective_from = %policy.effective_from, staff = %action.staff_id, "policy published");
    Ok(policy)
}
