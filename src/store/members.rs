//! Member rows: personal and contact data of each member (R-ENR-5, R-SVC-3).

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use utoipa::ToSchema;

use super::{day, parse_day, StoreError};
use crate::action::Action;
use crate::domain::enrolment::{Applicant, Sex};
use crate::domain::id_document::{IdDocument, IdKind};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub phone: String,
    #[schema(value_type = Object)]
    pub id_document: IdDocument,
    pub address: Option<String>,
    pub email: Option<String>,
    pub preferences: Option<String>,
    pub home_store: String,
}

type MemberRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

pub(super) const COLUMNS: &str =
    "id, name, sex, birth_date, phone, id_kind, id_number, address, email, preferences, home_store";

/// The member from `row`'s columns `at..at + 11` (in `COLUMNS` order), for joined queries.
pub(super) fn from_row_at(row: &SqliteRow, at: usize) -> Result<Member, StoreError> {
    from_row((
        row.try_get(at)?,
        row.try_get(at + 1)?,
        row.try_get(at + 2)?,
        row.try_get(at + 3)?,
        row.try_get(at + 4)?,
        row.try_get(at + 5)?,
        row.try_get(at + 6)?,
        row.try_get(at + 7)?,
        row.try_get(at + 8)?,
        row.try_get(at + 9)?,
        row.try_get(at + 10)?,
    ))
}

fn from_row(r: MemberRow) -> Result<Member, StoreError> {
    Ok(Member {
        id: r.0,
        name: r.1,
        sex: match r.2.as_str() {
            "female" => Sex::Female,
            "male" => Sex::Male,
            _ => return Err(StoreError::Corrupt("members.sex")),
        },
        birth_date: parse_day(&r.3, "members.birth_date")?,
        phone: r.4,
        id_document: IdDocument {
            kind: IdKind::parse(&r.5).ok_or(StoreError::Corrupt("members.id_kind"))?,
            number: r.6,
        },
        address: r.7,
        email: r.8,
        preferences: r.9,
        home_store: r.10,
    })
}

pub async fn find(conn: &mut SqliteConnection, id: &str) -> Result<Option<Member>, StoreError> {
    let row: Option<MemberRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM members WHERE id = ?1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(from_row).transpose()
}

pub async fn find_by_document(
    conn: &mut SqliteConnection,
    doc: &IdDocument,
) -> Result<Option<Member>, StoreError> {
    let row: Option<MemberRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM members WHERE id_kind = ?1 AND id_number = ?2"
    ))
    .bind(doc.kind.as_str())
    .bind(&doc.number)
    .fetch_optional(conn)
    .await?;
    row.map(from_row).transpose()
}

/// Members whose birthday month-day is `md` ('MM-DD').
pub async fn with_birthday(
    conn: &mut SqliteConnection,
    md: &[String],
) -> Result<Vec<Member>, StoreError> {
    let mut out = Vec::new();
    for m in md {
        let rows: Vec<MemberRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM members WHERE birth_md = ?1 ORDER BY name"
        ))
        .bind(m)
        .fetch_all(&mut *conn)
        .await?;
        for r in rows {
            out.push(from_row(r)?);
        }
    }
    Ok(out)
}

/// Inserts a new member with a fresh UUIDv7 id.
pub async fn insert(
    conn: &mut SqliteConnection,
    action: &Action,
    a: &Applicant,
) -> Result<Member, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let sex = match a.sex {
        Sex::Female => "female",
        Sex::Male => "male",
    };
    sqlx::query(
        "INSERT INTO members (id, name, sex, birth_date, birth_md, phone, id_kind, id_number, address, email, preferences, home_store, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    )
    .bind(&id)
    .bind(&a.name)
    .bind(sex)
    .bind(day(a.birth_date))
    .bind(format!("{:02}-{:02}", a.birth_date.month(), a.birth_date.day()))
    .bind(&a.phone)
    .bind(a.id_document.kind.as_str())
    .bind(&a.id_document.number)
    .bind(&a.address)
    .bind(&a.email)
    .bind(&a.preferences)
    .bind(&action.store_id)
    .bind(action.now.to_rfc3339())
    .execute(conn)
    .await?;
    Ok(Member {
        id,
        name: a.name.clone(),
        sex: a.sex,
        birth_date: a.birth_date,
        phone: a.phone.clone(),
        id_document: a.id_document.clone(),
        address: a.address.clone(),
        email: a.email.clone(),
        preferences: a.preferences.clone(),
        home_store: action.store_id.clone(),
    })
}

/// Replaces the member's contact data (R-SVC-3).
pub async fn update_contact(
    conn: &mut SqliteConnection,
    action: &Action,
    m: &Member,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE members SET phone = ?2, address = ?3, email = ?4, preferences = ?5, updated_at = ?6 WHERE id = ?1")
        .bind(&m.id)
        .bind(&m.phone)
        .bind(&m.address)
        .bind(&m.email)
        .bind(&m.preferences)
        .bind(action.now.to_rfc3339())
        .execute(conn)
        .await?;
    Ok(())
}
