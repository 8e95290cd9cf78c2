//! `POST /sync/v1/enrolment-check`: R-ENR-3 chain-wide. A store asks by the blind index of
//! the ID document (the same HMAC in every store, chain-wide lookup key), never the number.

use sqlx::PgPool;

use super::error::HqError;
use crate::sync::protocol::{EnrolmentCheck, EnrolmentCheckAnswer, KnownMember};

pub async fn check(
    pool: &PgPool,
    request: &EnrolmentCheck,
) -> Result<EnrolmentCheckAnswer, HqError> {
    if request.id_lookup.is_empty() {
        return Err(HqError::Invalid("id_lookup is required".into()));
    }
    let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
        "SELECT m.member_id, m.home_store,
                (SELECT c.card_number FROM cards c
                 WHERE c.member_id = m.member_id AND c.state IN ('active', 'inactive')
                 ORDER BY c.at DESC LIMIT 1)
         FROM members m WHERE m.id_lookup = $1 ORDER BY m.member_id",
    )
    .bind(&request.id_lookup)
    .fetch_all(pool)
    .await?;
    Ok(EnrolmentCheckAnswer {
        members: rows
            .into_iter()
            .map(|(member_id, home_store, live_card)| KnownMember {
                member_id,
                home_store,
                live_card,
            })
            .collect(),
    })
}
