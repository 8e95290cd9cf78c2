//! Member data (R-ENR-5, R-SVC-1/3): the member record as staff see it (ID number, phone
//! and address masked unless the caller may see them in full), the search by ID number or
//! phone through the lookup index, and contact changes, recorded with before and after.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::SqliteConnection;
use utoipa::ToSchema;

use super::lookup::CardView;
use super::FlowError;
use crate::action::Action;
use crate::domain::card_status::CardState;
use crate::domain::enrolment::{check_applicant, Applicant};
use crate::domain::events::{ContactChanged, Event};
use crate::domain::id_document::IdDocument;
use crate::kiosk::Kiosk;
use crate::store::audit::AuditEntry;
use crate::store::sealed::{normalise, LookupField};
use crate::store::{
    self,
    members::{Member, MemberEvent},
};

/// How much of a member's personal data a view shows (R-SVC-1). `Full` is for roles whose
/// work needs the values (the HTTP edge decides, from the staff member's permissions);
/// everyone else sees `Masked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reveal {
    Masked,
    Full,
}

/// A member as the counters see it: personal data masked unless revealed (R-SVC-1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    pub member_id: String,
    pub name: String,
    /// Masked: e.g. `138****5678`.
    pub phone: String,
    /// Masked: e.g. `110***********1234`.
    pub id_number: String,
    /// Masked: the first characters (at most 6, at most half) then `****`, e.g.
    /// `北京市朝阳区****`.
    pub address: Option<String>,
    pub has_address: bool,
    /// Whether `phone`, `id_number` and `address` are masked or in full.
    pub personal_data: Reveal,
    pub email: Option<String>,
    pub preferences: Option<String>,
    pub home_store: String,
    pub cards: Vec<CardView>,
}

impl MemberView {
    /// The view of `member` with its `cards`, personal data as `reveal` says.
    pub fn of(member: Member, cards: Vec<CardView>, reveal: Reveal) -> MemberView {
        let (phone, id_number, address) = match reveal {
            Reveal::Full => (
                member.phone,
                member.id_document.number,
                member.address.clone(),
            ),
            Reveal::Masked => (
                mask_phone(&member.phone),
                mask_id_number(&member.id_document.number),
                member.address.as_deref().map(mask_address),
            ),
        };
        MemberView {
            member_id: member.id,
            name: member.name,
            phone,
            id_number,
            has_address: address.is_some(),
            address,
            personal_data: reveal,
            email: member.email,
            preferences: member.preferences,
            home_store: member.home_store,
            cards,
        }
    }
}

/// Fields a member may change later (R-SVC-3). Absent fields stay as they are; an empty
/// string clears an optional field.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactUpdate {
    #[serde(
        default,
        deserialize_with = "crate::domain::confidential::optional_text"
    )]
    pub phone: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::domain::confidential::optional_text"
    )]
    pub address: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub preferences: Option<String>,
}

impl std::fmt::Debug for ContactUpdate {
    /// Which fields change, never their values (R-SVC-1).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactUpdate")
            .field("phone", &self.phone.is_some())
            .field("address", &self.address.is_some())
            .field("email", &self.email.is_some())
            .field("preferences", &self.preferences.is_some())
            .finish()
    }
}

/// Find a member by ID document or by phone: exactly one of the two. A POST body, so the
/// value never appears in a URL, an access log or the audit row's target (R-SVC-1).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberSearch {
    #[serde(default)]
    pub id_document: Option<IdDocument>,
    #[serde(
        default,
        deserialize_with = "crate::domain::confidential::optional_text"
    )]
    pub phone: Option<String>,
}

impl std::fmt::Debug for MemberSearch {
    /// What is searched by, never the value (R-SVC-1).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberSearch")
            .field("id_document", &self.id_document.as_ref().map(|d| d.kind))
            .field("phone", &self.phone.is_some())
            .finish()
    }
}

/// One member found, with their live card (active or inactive), if they have one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberMatch {
    pub member: MemberView,
    pub live_card_number: Option<String>,
}

/// The members found: one for an ID document (R-ENR-3), possibly several for a phone that
/// family members share. Never empty: no match is a 404.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberSearchResult {
    pub matches: Vec<MemberMatch>,
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

/// `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    mask(phone, 3, 4)
}

/// `110105198005010011` → `110***********0011`.
pub fn mask_id_number(number: &str) -> String {
    mask(number, 3, 4)
}

/// The first characters (at most 6, and at most half of the address, so a short address is
/// never shown nearly whole) then `****`: enough to tell the city and district, not the door.
pub fn mask_address(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    let keep = (chars.len() / 2).min(ADDRESS_SHOWN);
    chars[..keep].iter().chain(['*'; 4].iter()).collect()
}

const ADDRESS_SHOWN: usize = 6;

pub async fn member_view(
    k: &Kiosk,
    member_id: &str,
    reveal: Reveal,
) -> Result<MemberView, FlowError> {
    let mut conn = k.db.reader.acquire().await?;
    let member = store::members::find(&mut conn, &k.sealer, member_id)
        .await?
        .ok_or(FlowError::NotFound {
            what: "member",
            field: "member_id",
        })?;
    let (view, _) = view_with_cards(&mut conn, member, k.today(), reveal).await?;
    Ok(view)
}

/// The member's view and their live card's number.
async fn view_with_cards(
    conn: &mut SqliteConnection,
    member: Member,
    today: chrono::NaiveDate,
    reveal: Reveal,
) -> Result<(MemberView, Option<String>), FlowError> {
    let mut cards = Vec::new();
    let mut live = None;
    for card in store::cards::for_member(conn, &member.id).await? {
        if matches!(card.state, CardState::Active | CardState::Inactive) {
            live = Some(card.number.clone());
        }
        cards.push(super::lookup::view(conn, &card, &member, today).await?);
    }
    Ok((MemberView::of(member, cards, reveal), live))
}

/// Finds members by ID document or phone through the lookup index (the values are stored
/// sealed). Refusals name the field, never the value.
pub async fn search(
    k: &Kiosk,
    query: MemberSearch,
    reveal: Reveal,
) -> Result<MemberSearchResult, FlowError> {
    let sealer = k.sealer.clone();
    let mut conn = k.db.reader.acquire().await?;
    let (found, field) = match (query.id_document, query.phone) {
        (Some(doc), None) => {
            if normalise(LookupField::IdNumber, &doc.number).is_empty() {
                return Err(FlowError::invalid(
                    "id_document.number",
                    "ID document number is missing",
                ));
            }
            let found = store::members::find_by_document(&mut conn, &sealer, &doc).await?;
            (found.into_iter().collect::<Vec<_>>(), "id_document")
        }
        (None, Some(phone)) => {
            if normalise(LookupField::Phone, &phone).is_empty() {
                return Err(FlowError::invalid("phone", "phone number is missing"));
            }
            let found = store::members::find_by_phone(&mut conn, &sealer, &phone).await?;
            (found, "phone")
        }
        (Some(_), Some(_)) | (None, None) => {
            return Err(FlowError::invalid(
                "id_document",
                "give exactly one of id_document or phone",
            ))
        }
    };
    if found.is_empty() {
        return Err(FlowError::NotFound {
            what: "member",
            field,
        });
    }
    let today = k.today();
    let mut matches = Vec::with_capacity(found.len());
    for member in found {
        let (member, live_card_number) = view_with_cards(&mut conn, member, today, reveal).await?;
        matches.push(MemberMatch {
            member,
            live_card_number,
        });
    }
    Ok(MemberSearchResult { matches })
}

pub async fn update_contact(
    k: &Kiosk,
    action: &Action,
    member_id: &str,
    update: ContactUpdate,
    reveal: Reveal,
) -> Result<MemberView, FlowError> {
    let sealer = k.sealer.clone();
    let mut tx = k.db.writer.begin().await?;
    let before = store::members::find(&mut tx, &sealer, member_id)
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
    store::members::update_contact(&mut tx, &sealer, action, &after).await?;
    // The change record names the fields that changed, never their values (the sealed values
    // are in the `member.changed` event beside it).
    let fields: Vec<String> = [
        ("phone", before.phone != after.phone),
        ("address", before.address != after.address),
        ("email", before.email != after.email),
        ("preferences", before.preferences != after.preferences),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(field, _)| field.to_owned())
    .collect();
    // R-SVC-3: before/after in the audit trail, in the same transaction as the change.
    store::audit::append(
        &mut tx,
        k.secrets.audit_key(),
        &AuditEntry {
            store_id: action.store_id.clone(),
            at: action.now,
            staff_id: action.staff_id.clone(),
            role: action.role.map(|r| r.as_str().to_owned()),
            workstation: action.workstation.clone(),
            action: "member.contact_change".into(),
            target: Some(after.id.clone()),
            detail: Some(contact_change_detail(&before, &after)),
            result: 200,
        },
    )
    .await?;
    // As stored: personal data sealed (R-SVC-1).
    store::members::record_outbox(&mut tx, action, &after.id, MemberEvent::Changed).await?;
    let changed = Event::ContactChanged(ContactChanged {
        member_id: after.id.clone(),
        fields,
        staff_id: action.staff_id.clone(),
        at: action.now,
    });
    store::outbox::record(&mut tx, &action.store_id, &after.id, &changed, action.now).await?;
    tx.commit().await?;
    member_view(k, member_id, reveal).await
}

/// The changed contact fields for the audit trail, never in clear: phone and e-mail masked
/// before and after, address and preferences only flagged as changed.
fn contact_change_detail(before: &Member, after: &Member) -> serde_json::Value {
    let mut detail = serde_json::Map::new();
    if before.phone != after.phone {
        detail.insert(
            "phone".into(),
            json!({ "before": mask_phone(&before.phone), "after": mask_phone(&after.phone) }),
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
