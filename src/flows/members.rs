//! Member data (R-ENR-5, R-SVC-1/3): the member record as staff see it (ID number and phone
//! masked) and contact changes, recorded with before and after.

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::lookup::CardView;
use super::FlowError;
use crate::action::Action;
use crate::domain::enrolment::{check_applicant, Applicant};
use crate::kiosk::Kiosk;
use crate::store::audit::AuditEntry;
use crate::store::{self, members::Member};

/// A member as the counters see it: personal data masked (R-SVC-1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub member_id: String,
    pub name: String,
    /// e.g. `138****5678`
    pub phone: String,
    /// e.g. `110***********1234`
    pub id_number: String,
    pub has_address: bool,
    pub email: Option<String>,
    pub preferences: Option<String>,
    pub home_store: String,
    pub cards: Vec<CardView>,
}

/// Fields a member may change later (R-SVC-3). Absent fields stay as they are; an empty
/// string clears an optional field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdate {
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub preferences: Option<String>,
}

/// Keeps the first `head` and last `tail` characters, stars in between.
pub fn mask(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - head - tail;
    chars[..head]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(&chars[chars.len() - tail..])
        .collect()
}

pub async fn member_view(k: &Kiosk, member_id: &str) -> Result<MemberView, FlowError> {
    let mut conn = k.db.reader.acquire().await?;
    let member = store::members::find(&mut conn, member_id)
        .await?
        .ok_or(FlowError::NotFound {
            what: "member",
            field: "member_id",
        })?;
    let today = k.today();
    let mut cards = Vec::new();
    for card in store::cards::for_member(&mut conn, member_id).await? {
        cards.push(super::lookup::view(&mut conn, &card, &member, today).await?);
    }
    Ok(MemberView {
        member_id: member.id,
        name: member.name,
        phone: mask(&member.phone, 3, 4),
        id_number: mask(&member.id_document.number, 3, 4),
        has_address: member.address.is_some(),
        email: member.email,
        preferences: member.preferences,
        home_store: member.home_store,
        cards,
    })
}

pub async fn update_contact(
    k: &Kiosk,
    action: &Action,
    member_id: &str,
    update: ContactUpdate,
) -> Result<MemberView, FlowError> {
    let mut tx = k.db.writer.begin().await?;
    let before = store::members::find(&mut tx, member_id)
        .await?
        .ok_or(FlowError::NotFound {
            what: "member",
            field: "member_id",
        })?;
    let clear = |v: Option<String>, old: Option<String>| match v {
        Some(s) if s.trim().is_empty() => None,
        Some(s) => Some(s),
        None => old,
    };
    // Re-check with the enrolment rules, so a changed phone or e-mail is as valid as a new one.
    let candidate = Applicant {
        name: before.name.clone(),
        sex: before.sex,
        birth_date: before.birth_date,
        phone: update.phone.unwrap_or_else(|| before.phone.clone()),
        id_document: before.id_document.clone(),
        address: clear(update.address, before.address.clone()),
        email: clear(update.email, before.email.clone()),
        preferences: clear(update.preferences, before.preferences.clone()),
    };
    // Age and document were checked at enrolment; check against the day the member joined
    // would be pointless, so only the contact fields' refusals matter here.
    let checked = match check_applicant(&k.policy(action.today), &candidate, action.today) {
        Ok(a) => a,
        Err(v)
            if matches!(
                v.field.as_deref(),
                Some("phone" | "email" | "address" | "preferences")
            ) =>
        {
            return Err(v.into())
        }
        Err(_) => candidate,
    };
    let after = Member {
        phone: checked.phone,
        address: checked.address,
        email: checked.email,
        preferences: checked.preferences,
        ..before.clone()
    };
    store::members::update_contact(&mut tx, action, &after).await?;
    // Before/after go to the change record only as "changed" flags and masked values.
    let changes = json!({
        "phone_changed": before.phone != after.phone,
        "address_changed": before.address != after.address,
        "email_changed": before.email != after.email,
        "preferences_changed": before.preferences != after.preferences,
        "staff_id": action.staff_id,
    });
    // R-SVC-3: before/after in the audit trail, in the same transaction as the change.
    store::audit::append(
        &mut tx,
        &AuditEntry {
            store_id: action.store_id.clone(),
            at: action.now,
            staff_id: action.staff_id.clone(),
            role: None,
            workstation: action.workstation.clone(),
            action: "member.contact_change".into(),
            target: Some(after.id.clone()),
            detail: Some(contact_change_detail(&before, &after)),
            result: 200,
        },
    )
    .await?;
    store::outbox::record(
        &mut tx,
        &action.store_id,
        "member",
        &after.id,
        &after,
        action.now,
    )
    .await?;
    store::outbox::record(
        &mut tx,
        &action.store_id,
        "member_contact_change",
        &after.id,
        &changes,
        action.now,
    )
    .await?;
    tx.commit().await?;
    member_view(k, member_id).await
}

/// The changed contact fields for the audit trail, never in clear: phone and e-mail masked
/// before and after, address and preferences only flagged as changed.
fn contact_change_detail(before: &Member, after: &Member) -> serde_json::Value {
    let mut detail = serde_json::Map::new();
    if before.phone != after.phone {
        detail.insert(
            "phone".into(),
            json!({ "before": mask(&before.phone, 3, 4), "after": mask(&after.phone, 3, 4) }),
        );
    }
    if before.email != after.email {
        detail.insert(
            "email".into(),
            json!({
                "before": before.email.as_deref().map(mask_email),
                "after": after.email.as_deref().map(mask_email),
            }),
        );
    }
    if before.address != after.address {
        detail.insert("address".into(), json!({ "changed": true }));
    }
    if before.preferences != after.preferences {
        detail.insert("preferences".into(), json!({ "changed": true }));
    }
    serde_json::Value::Object(detail)
}

/// `zhang.wei@example.com` → `z********@example.com`: the domain says little about the person.
fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("{}@{domain}", mask(local, 1, 0)),
        None => mask(email, 1, 0),
    }
}
