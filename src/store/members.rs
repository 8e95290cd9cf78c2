//! Member rows: personal and contact data of each member (R-ENR-5, R-SVC-1/3). ID number,
//! phone and address are stored sealed (see `sealed`), found by their lookup index, and
//! opened only here; the rest of the crate sees plaintext `Member`s, never the file's bytes.

use chrono::{Datelike, NaiveDate};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::sealed::{is_sealed, Field, LookupField, Sealer};
use super::{day, parse_day, Db, StoreError};
use crate::action::Action;
use crate::domain::enrolment::{Applicant, Sex};
use crate::domain::events::{Event, MemberRecorded, MemberSnapshot, SealedDocument};
use crate::domain::id_document::{IdDocument, IdKind};

/// A member with their personal data opened. Not `Serialize`, and its `Debug` hides the ID
/// number, phone and address, so it can't reach a log line, an answer or the outbox in clear
/// by accident (R-SVC-1).
#[derive(Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub sex: Sex,
    pub birth_date: NaiveDate,
    pub phone: String,
    pub id_document: IdDocument,
    pub address: Option<String>,
    pub email: Option<String>,
    pub preferences: Option<String>,
    pub home_store: String,
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("id_kind", &self.id_document.kind)
            .field("home_store", &self.home_store)
            .finish_non_exhaustive()
    }
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
pub(super) fn from_row_at(
    row: &SqliteRow,
    at: usize,
    sealer: &Sealer,
) -> Result<Member, StoreError> {
    from_row(
        (
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
        ),
        sealer,
    )
}

fn from_row(r: MemberRow, sealer: &Sealer) -> Result<Member, StoreError> {
    // A value that does not open was edited, moved between rows or sealed under another
    // key: the row is corrupt, and the error names the column only.
    let open = |field: Field, sealed: &str| {
        sealer
            .open(&r.0, field, sealed)
            .map_err(|_| StoreError::Corrupt(field.qualified()))
    };
    let phone = open(Field::Phone, &r.4)?;
    let number = open(Field::IdNumber, &r.6)?;
    let address =
        r.7.as_deref()
            .map(|a| open(Field::Address, a))
            .transpose()?;
    Ok(Member {
        name: r.1,
        sex: parse_sex(&r.2)?,
        birth_date: parse_day(&r.3, "members.birth_date")?,
        phone,
        id_document: IdDocument {
            kind: IdKind::parse(&r.5).ok_or(StoreError::Corrupt("members.id_kind"))?,
            number,
        },
        address,
        email: r.8,
        preferences: r.9,
        home_store: r.10,
        id: r.0,
    })
}

fn parse_sex(s: &str) -> Result<Sex, StoreError> {
    match s {
        "female" => Ok(Sex::Female),
        "male" => Ok(Sex::Male),
        _ => Err(StoreError::Corrupt("members.sex")),
    }
}

fn sex_text(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "female",
        Sex::Male => "male",
    }
}

pub async fn find(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    id: &str,
) -> Result<Option<Member>, StoreError> {
    let row: Option<MemberRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM members WHERE id = ?1"))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| from_row(r, sealer)).transpose()
}

/// The member holding `doc`, through the ID number's lookup index. R-ENR-3 makes it one per
/// person; a person enrolled twice while a store was offline (pulled from head office and
/// flagged in `duplicate_members`) has two: the one holding a card that is not replaced is
/// answered first, so a local enrolment still sees the live card and refuses.
pub async fn find_by_document(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    doc: &IdDocument,
) -> Result<Option<Member>, StoreError> {
    let row: Option<MemberRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM members m WHERE id_kind = ?1 AND id_lookup = ?2
         ORDER BY EXISTS (SELECT 1 FROM cards c WHERE c.member_id = m.id AND c.replaced_by IS NULL
                          AND c.state IN ('active', 'inactive', 'blocked', 'reserved')) DESC, created_at, id
         LIMIT 1"
    ))
    .bind(doc.kind.as_str())
    .bind(sealer.lookup(LookupField::IdNumber, &doc.number))
    .fetch_optional(conn)
    .await?;
    row.map(|r| from_row(r, sealer)).transpose()
}

/// Members with `phone` (a phone is not unique: family members may share one), oldest first.
pub async fn find_by_phone(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    phone: &str,
) -> Result<Vec<Member>, StoreError> {
    let rows: Vec<MemberRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM members WHERE phone_lookup = ?1 ORDER BY created_at, id"
    ))
    .bind(sealer.lookup(LookupField::Phone, phone))
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(|r| from_row(r, sealer)).collect()
}

/// Members whose birthday month-day is `md` ('MM-DD').
pub async fn with_birthday(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
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
            out.push(from_row(r, sealer)?);
        }
    }
    Ok(out)
}

/// The sealed columns and lookups of one member's personal data.
struct SealedColumns {
    phone: String,
    id_number: String,
    address: Option<String>,
    id_lookup: String,
    phone_lookup: String,
}

fn seal_columns(
    sealer: &Sealer,
    member_id: &str,
    phone: &str,
    id_number: &str,
    address: Option<&str>,
) -> Result<SealedColumns, StoreError> {
    let seal = |field: Field, value: &str| {
        sealer
            .seal(member_id, field, value)
            .map_err(|_| StoreError::Corrupt(field.qualified()))
    };
    Ok(SealedColumns {
        phone: seal(Field::Phone, phone)?,
        id_number: seal(Field::IdNumber, id_number)?,
        address: address.map(|a| seal(Field::Address, a)).transpose()?,
        id_lookup: sealer.lookup(LookupField::IdNumber, id_number),
        phone_lookup: sealer.lookup(LookupField::Phone, phone),
    })
}

/// Inserts a new member with a fresh UUIDv7 id, personal data sealed.
pub async fn insert(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    action: &Action,
    a: &Applicant,
) -> Result<Member, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let sealed = seal_columns(
        sealer,
        &id,
        &a.phone,
        &a.id_document.number,
        a.address.as_deref(),
    )?;
    sqlx::query(
        "INSERT INTO members (id, name, sex, birth_date, birth_md, phone, id_kind, id_number, address, email, preferences, home_store, created_at, updated_at, id_lookup, phone_lookup)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15)",
    )
    .bind(&id)
    .bind(&a.name)
    .bind(sex_text(a.sex))
    .bind(day(a.birth_date))
    .bind(format!("{:02}-{:02}", a.birth_date.month(), a.birth_date.day()))
    .bind(&sealed.phone)
    .bind(a.id_document.kind.as_str())
    .bind(&sealed.id_number)
    .bind(&sealed.address)
    .bind(&a.email)
    .bind(&a.preferences)
    .bind(&action.store_id)
    .bind(action.now.to_rfc3339())
    .bind(&sealed.id_lookup)
    .bind(&sealed.phone_lookup)
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

/// Replaces the member's contact data (R-SVC-3), phone and address sealed afresh.
pub async fn update_contact(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    action: &Action,
    m: &Member,
) -> Result<(), StoreError> {
    let sealed = seal_columns(
        sealer,
        &m.id,
        &m.phone,
        &m.id_document.number,
        m.address.as_deref(),
    )?;
    sqlx::query("UPDATE members SET phone = ?2, address = ?3, email = ?4, preferences = ?5, updated_at = ?6, phone_lookup = ?7 WHERE id = ?1")
        .bind(&m.id)
        .bind(&sealed.phone)
        .bind(&sealed.address)
        .bind(&m.email)
        .bind(&m.preferences)
        .bind(action.now.to_rfc3339())
        .bind(&sealed.phone_lookup)
        .execute(conn)
        .await?;
    Ok(())
}

/// Which member event a write is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberEvent {
    /// `member.enrolled`: the member's card was issued at enrolment.
    Enrolled,
    /// `member.changed`: any later write to the member's row.
    Changed,
}

/// Records the member's current row in the outbox as `member.enrolled` or `member.changed`,
/// as stored: personal data sealed, lookups beside it (head office holds the data secret;
/// nothing in the outbox is readable without it).
pub async fn record_outbox(
    conn: &mut SqliteConnection,
    action: &Action,
    member_id: &str,
    kind: MemberEvent,
) -> Result<(), StoreError> {
    type Stored = (
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
        Option<String>,
        Option<String>,
    );
    let r: Stored = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, id_lookup, phone_lookup FROM members WHERE id = ?1"
    ))
    .bind(member_id)
    .fetch_one(&mut *conn)
    .await?;
    let recorded = MemberRecorded {
        member: MemberSnapshot {
            id: r.0,
            name: r.1,
            sex: r.2,
            birth_date: r.3,
            phone: r.4,
            id_document: SealedDocument {
                kind: r.5,
                number: r.6,
            },
            address: r.7,
            email: r.8,
            preferences: r.9,
            home_store: r.10,
            id_lookup: r.11,
            phone_lookup: r.12,
        },
        staff_id: action.staff_id.clone(),
        at: action.now,
    };
    let entity_id = recorded.member.id.clone();
    let event = match kind {
        MemberEvent::Enrolled => Event::MemberEnrolled(recorded),
        MemberEvent::Changed => Event::MemberChanged(recorded),
    };
    super::outbox::record(conn, &action.store_id, &entity_id, &event, action.now).await
}

/// Seals personal data left in clear by a version before sealing (R-SVC-1): member rows
/// without lookups, and the legacy `member` outbox payloads (version 0, from before the event
/// contract) written from them. Idempotent: a sealed
/// store changes nothing and costs one indexed query. When it sealed anything, the freed
/// plaintext is overwritten (`secure_delete`), the file rebuilt (`VACUUM`) and the WAL
/// emptied, so no old page keeps a clear ID number or phone. Returns the members sealed.
pub async fn seal_plaintext_rows(db: &Db, sealer: &Sealer) -> Result<usize, StoreError> {
    let mut conn = db.writer.acquire().await?;
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, phone, id_number, address FROM members WHERE id_lookup IS NULL OR phone_lookup IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let secure_delete: i64 = sqlx::query_scalar("PRAGMA secure_delete")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("PRAGMA secure_delete = ON")
        .execute(&mut *conn)
        .await?;
    let sealed = seal_in_transaction(&mut conn, sealer, rows).await;
    // Restored whatever happened: the connection goes back to the pool.
    sqlx::query(&format!("PRAGMA secure_delete = {secure_delete}"))
        .execute(&mut *conn)
        .await?;
    let sealed = sealed?;
    sqlx::query("VACUUM").execute(&mut *conn).await?;
    let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_one(&mut *conn)
        .await?;
    if busy != 0 {
        // Only counts: the WAL empties at the next checkpoint instead.
        tracing::warn!("WAL not emptied after sealing personal data; a later checkpoint will");
    }
    tracing::info!(members = sealed, "sealed personal data left in clear");
    Ok(sealed)
}

async fn seal_in_transaction(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
    rows: Vec<(String, String, String, Option<String>)>,
) -> Result<usize, StoreError> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let count = rows.len();
    for (id, phone, id_number, address) in rows {
        // A row half-sealed by hand still ends up fully sealed: open what is sealed.
        let clear = |field: Field, stored: String| {
            if is_sealed(&stored) {
                sealer
                    .open(&id, field, &stored)
                    .map_err(|_| StoreError::Corrupt(field.qualified()))
            } else {
                Ok(stored)
            }
        };
        let phone = clear(Field::Phone, phone)?;
        let id_number = clear(Field::IdNumber, id_number)?;
        let address = address.map(|a| clear(Field::Address, a)).transpose()?;
        let s = seal_columns(sealer, &id, &phone, &id_number, address.as_deref())?;
        sqlx::query("UPDATE members SET phone = ?2, id_number = ?3, address = ?4, id_lookup = ?5, phone_lookup = ?6 WHERE id = ?1")
            .bind(&id)
            .bind(&s.phone)
            .bind(&s.id_number)
            .bind(&s.address)
            .bind(&s.id_lookup)
            .bind(&s.phone_lookup)
            .execute(&mut *tx)
            .await?;
    }
    seal_outbox_payloads(&mut tx, sealer).await?;
    tx.commit().await?;
    Ok(count)
}

/// `member` outbox payloads written in clear by the older version (version 0: every event
/// since the contract is written sealed) get their phone, ID number and address sealed in
/// place. The outbox is immutable by trigger (payloads never change
/// once written); this is the one exception, so the trigger is lifted and restored, with its
/// own stored SQL, inside the caller's transaction. Head office receives the sealed values,
/// as it does for every newer row.
async fn seal_outbox_payloads(
    conn: &mut SqliteConnection,
    sealer: &Sealer,
) -> Result<(), StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT seq, payload FROM outbox WHERE topic = 'member' AND version = 0 ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut rewritten = Vec::new();
    for (seq, payload) in rows {
        let mut value: serde_json::Value =
            serde_json::from_str(&payload).map_err(|_| StoreError::Corrupt("outbox payload"))?;
        let Some(member_id) = value.get("id").and_then(|v| v.as_str()).map(str::to_owned) else {
            continue;
        };
        let mut changed = false;
        for (pointer, field) in [
            ("/phone", Field::Phone),
            ("/id_document/number", Field::IdNumber),
            ("/address", Field::Address),
        ] {
            if let Some(slot) = value.pointer_mut(pointer) {
                if let Some(clear) = slot.as_str().filter(|s| !is_sealed(s)) {
                    let sealed = sealer
                        .seal(&member_id, field, clear)
                        .map_err(|_| StoreError::Corrupt("outbox payload"))?;
                    *slot = serde_json::Value::String(sealed);
                    changed = true;
                }
            }
        }
        if changed {
            let text =
                serde_json::to_string(&value).map_err(|_| StoreError::Corrupt("outbox payload"))?;
            rewritten.push((seq, text));
        }
    }
    if rewritten.is_empty() {
        return Ok(());
    }
    let trigger: Option<String> = sqlx::query_scalar(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'outbox_payload_fixed'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if trigger.is_some() {
        sqlx::query("DROP TRIGGER outbox_payload_fixed")
            .execute(&mut *conn)
            .await?;
    }
    for (seq, payload) in rewritten {
        sqlx::query("UPDATE outbox SET payload = ?2 WHERE seq = ?1")
            .bind(seq)
            .bind(payload)
            .execute(&mut *conn)
            .await?;
    }
    if let Some(sql) = trigger {
        sqlx::query(&sql).execute(&mut *conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::DataSecrets;

    fn sealer() -> Sealer {
        Sealer::new(&DataSecrets::derive(&[5; 32]))
    }

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = Db::open(&dir.path().join("kiosk.db"), 1).await.expect("db");
        (dir, db)
    }

    fn action() -> Action {
        Action {
            store_id: "S001".into(),
            staff_id: "S01".into(),
            role: None,
            workstation: "lounge".into(),
            today: NaiveDate::from_ymd_opt(2026, 3, 10).expect("date"),
            now: chrono::Utc::now(),
        }
    }

    fn applicant(phone: &str, number: &str) -> Applicant {
        Applicant {
            name: "会员".into(),
            sex: Sex::Female,
            birth_date: NaiveDate::from_ymd_opt(1980, 5, 1).expect("date"),
            phone: phone.into(),
            id_document: IdDocument {
                kind: IdKind::PrcResident,
                number: number.into(),
            },
            address: Some("北京市朝阳区建国路88号".into()),
            email: None,
            preferences: None,
        }
    }

    const ID: &str = "11010519800501001X";

    #[tokio::test]
    async fn r_svc_1_members_are_stored_sealed_and_found_by_lookup() {
        let (_dir, db) = db().await;
        let s = sealer();
        let mut conn = db.writer.acquire().await.expect("conn");
        let m = insert(&mut conn, &s, &action(), &applicant("13812345678", ID))
            .await
            .expect("insert");
        let (phone, number, address): (String, String, Option<String>) =
            sqlx::query_as("SELECT phone, id_number, address FROM members")
                .fetch_one(&mut *conn)
                .await
                .expect("row");
        assert!(is_sealed(&phone) && is_sealed(&number));
        assert!(address.as_deref().is_some_and(is_sealed));
        assert!(!phone.contains("13812345678") && !number.contains(ID));

        assert_eq!(
            find(&mut conn, &s, &m.id).await.expect("find"),
            Some(m.clone())
        );
        let doc = IdDocument {
            kind: IdKind::PrcResident,
            number: " 11010519800501001x".into(),
        };
        assert_eq!(
            find_by_document(&mut conn, &s, &doc).await.expect("find"),
            Some(m.clone())
        );
        let passport = IdDocument {
            kind: IdKind::Passport,
            ..doc
        };
        assert_eq!(
            find_by_document(&mut conn, &s, &passport)
                .await
                .expect("find"),
            None
        );
        assert_eq!(
            find_by_phone(&mut conn, &s, "138-1234-5678")
                .await
                .expect("find"),
            vec![m.clone()]
        );
        assert!(!format!("{m:?}").contains("13812345678"));
        assert!(!format!("{m:?}").contains(ID));
    }

    #[tokio::test]
    async fn r_enr_3_the_lookup_index_refuses_a_second_record_for_one_document_per_store() {
        let (_dir, db) = db().await;
        let s = sealer();
        let mut conn = db.writer.acquire().await.expect("conn");
        insert(&mut conn, &s, &action(), &applicant("13812345678", ID))
            .await
            .expect("insert");
        let again = insert(&mut conn, &s, &action(), &applicant("13900000000", ID)).await;
        assert!(matches!(again, Err(StoreError::Database(_))), "{again:?}");
    }

    #[tokio::test]
    async fn a_row_moved_or_tampered_is_corrupt_not_a_panic() {
        let (_dir, db) = db().await;
        let s = sealer();
        let mut conn = db.writer.acquire().await.expect("conn");
        let a = insert(&mut conn, &s, &action(), &applicant("13812345678", ID))
            .await
            .expect("insert");
        let b = insert(
            &mut conn,
            &s,
            &action(),
            &applicant("13900000000", "110105198005010028"),
        )
        .await
        .expect("insert");
        // b's phone copied onto a: it was sealed for b, so it does not open on a.
        sqlx::query(
            "UPDATE members SET phone = (SELECT phone FROM members WHERE id = ?2) WHERE id = ?1",
        )
        .bind(&a.id)
        .bind(&b.id)
        .execute(&mut *conn)
        .await
        .expect("update");
        assert!(matches!(
            find(&mut conn, &s, &a.id).await,
            Err(StoreError::Corrupt("members.phone"))
        ));
        // Another key opens nothing.
        let other = Sealer::new(&DataSecrets::derive(&[6; 32]));
        assert!(matches!(
            find(&mut conn, &other, &b.id).await,
            Err(StoreError::Corrupt(_))
        ));
    }

    #[tokio::test]
    async fn r_svc_1_plaintext_rows_and_outbox_payloads_are_sealed_once() {
        let (_dir, db) = db().await;
        let s = sealer();
        {
            let mut conn = db.writer.acquire().await.expect("conn");
            sqlx::query(
                "INSERT INTO members (id, name, sex, birth_date, birth_md, phone, id_kind, id_number, address, home_store, created_at, updated_at)
                 VALUES ('m-1', '会员', 'female', '1980-05-01', '05-01', '13812345678', 'prc_resident', ?1, '上海市黄浦区', 'S001', 'x', 'x')",
            )
            .bind(ID)
            .execute(&mut *conn)
            .await
            .expect("legacy row");
            sqlx::query(
                "INSERT INTO outbox (store_id, topic, entity_id, payload, created_at) VALUES ('S001', 'member', 'm-1', ?1, 'x')",
            )
            .bind(format!(
                r#"{{"id":"m-1","name":"会员","phone":"13812345678","id_document":{{"kind":"prc_resident","number":"{ID}"}},"address":null}}"#
            ))
            .execute(&mut *conn)
            .await
            .expect("legacy outbox");
        }
        assert_eq!(seal_plaintext_rows(&db, &s).await.expect("seal"), 1);
        assert_eq!(seal_plaintext_rows(&db, &s).await.expect("again"), 0);
        let mut conn = db.writer.acquire().await.expect("conn");
        let m = find(&mut conn, &s, "m-1")
            .await
            .expect("find")
            .expect("member");
        assert_eq!(m.phone, "13812345678");
        assert_eq!(m.id_document.number, ID);
        assert_eq!(m.address.as_deref(), Some("上海市黄浦区"));
        let payload: String =
            sqlx::query_scalar("SELECT payload FROM outbox WHERE entity_id = 'm-1'")
                .fetch_one(&mut *conn)
                .await
                .expect("outbox");
        assert!(
            !payload.contains("13812345678") && !payload.contains(ID),
            "{payload}"
        );
        assert!(payload.contains("\"address\":null"), "{payload}");
        // The outbox is immutable again.
        let edit = sqlx::query("UPDATE outbox SET payload = '{}'")
            .execute(&mut *conn)
            .await;
        assert!(edit.is_err());
    }
}
