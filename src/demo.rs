//! A realistic demo store: members of every tier with cards and points, a gift catalogue,
//! and today's guest receipts to enrol with. Deterministic (a fixed seed), so the README's
//! walk-through and the benchmark see the same data every time.

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use crate::action::Action;
use crate::domain::basket::{BasketLine, GoodsClass, Tender};
use crate::domain::card_status::CardState;
use crate::domain::enrolment::{card_expiry, Applicant, Sex};
use crate::domain::gift_exchange::Gift;
use crate::domain::id_document::{check_char, IdDocument, IdKind};
use crate::domain::ledger::{EntryKind, PlannedEntry};
use crate::domain::Tier;
use crate::flows::checkout::{commit_sale, SaleRequest};
use crate::flows::FlowError;
use crate::kiosk::Kiosk;
use crate::store::{self, ledger::Refs};

/// What was seeded, with a few cards to try at the counters.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub members: usize,
    /// Cards named in the README walk-through, by what they show.
    pub showcase: Vec<(String, String)>,
    /// Today's guest receipts a newcomer can enrol with (receipt no, cash paid).
    pub receipts: Vec<(String, Decimal)>,
}

/// xorshift64*: enough randomness for demo data, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "林",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明",
    "超", "秀英", "建华", "志强",
];
const AREAS: &[&str] = &["110105", "310104", "440106", "320102", "330106", "510107"];

/// A PRC resident ID number with a correct check character for `birth` (GB 11643).
pub fn prc_id_number(area: &str, birth: NaiveDate, sequence: u32) -> String {
    let body = format!("{area}{}{:03}", birth.format("%Y%m%d"), sequence % 1000);
    let check = check_char(body.as_bytes()).map(char::from).unwrap_or('0');
    format!("{body}{check}")
}

fn applicant(rng: &mut Rng, n: usize, today: NaiveDate) -> Applicant {
    // (area, birth date, n % 1000) is unique for the first 720,000 members: one person, one
    // ID number (R-ENR-3).
    let (q, r) = ((n / 1000) as u64, (n % 1000) as u32);
    let age_days = 18 * 366 + (q % 120) * 150 + (n as u64 % 150);
    let birth = today.checked_sub_days(Days::new(age_days)).unwrap_or(today);
    let sex = if rng.below(2) == 0 {
        Sex::Female
    } else {
        Sex::Male
    };
    Applicant {
        name: format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)),
        sex,
        birth_date: birth,
        phone: format!("13{:09}", n),
        id_document: IdDocument {
            kind: IdKind::PrcResident,
            number: prc_id_number(AREAS[(n / 120_000) % AREAS.len()], birth, r),
        },
        address: None,
        email: None,
        preferences: None,
    }
}

/// Seeds `members` members (with cards and points) and the showcase, in transactions of a
/// few thousand rows. Refuses to seed a database that already has members.
pub async fn seed(k: &Kiosk, members: usize) -> Result<DemoSummary, FlowError> {
    let action = k.action("demo", "seed");
    let today = action.today;
    let policy = k.policy(today);
    {
        let mut conn = k.db.writer.acquire().await?;
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members")
            .fetch_one(&mut *conn)
            .await?;
        if existing > 0 {
            return Err(FlowError::conflict(
                crate::flows::ErrorCode::DatabaseNotEmpty,
                "the database already has members; demo data goes into a new database",
                None,
                None,
            ));
        }
        for g in gift_catalogue(today) {
            store::gifts::upsert(&mut conn, &g).await?;
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Demo members' personal data is sealed like any other (R-SVC-1).
    let sealer = k.sealer.clone();
    let mut showcase = Vec::new();
    let mut done = 0;
    while done < members {
        let mut tx = k.db.writer.begin().await?;
        for n in done..members.min(done + 5000) {
            let mut a = applicant(&mut rng, n, today);
            let tier = match rng.below(100) {
                0..=69 => Tier::Vip,
                70..=89 => Tier::Gold,
                _ => Tier::Platinum,
            };
            // The first member has a birthday today, to show the birthday rates.
            if n == 0 {
                a.birth_date =
                    NaiveDate::from_ymd_opt(today.year() - 35, today.month(), today.day())
                        .unwrap_or(a.birth_date);
                a.id_document.number = prc_id_number("110105", a.birth_date, 0);
            }
            let issued = today
                .checked_sub_days(Days::new(1 + rng.below(300)))
                .unwrap_or(today);
            let points = 50 + rng.below(3000) as i64;
            let state = match n {
                1 => CardState::Blocked,
                _ => CardState::Active,
            };
            let member = store::members::insert(&mut tx, &sealer, &action, &a).await?;
            let number = store::cards::reserve(
                &mut tx,
                &Action {
                    today: issued,
                    ..action.clone()
                },
                &k.config.issuer_prefix,
                &k.config.store_id,
                store::cards::NewCard {
                    member_id: &member.id,
                    tier,
                    valid_from: issued,
                    expiry: card_expiry(&policy, issued),
                    generation: 1,
                    replaces: None,
                    upgrade_points_carried: 0,
                },
            )
            .await?;
            store::cards::set_state(&mut tx, &action, &number, state).await?;
            let earned_on = Action {
                today: issued,
                ..action.clone()
            };
            store::ledger::append(
                &mut tx,
                &earned_on,
                &number,
                &[PlannedEntry {
                    kind: EntryKind::Earn,
                    points,
                }],
                Refs::default(),
            )
            .await?;
            if n < 4 {
                let what = match n {
                    0 => format!(
                        "{} member with a birthday today, {points} points",
                        tier.as_str()
                    ),
                    1 => "card reported lost (blocked)".to_string(),
                    _ => format!("{} card, {points} points", tier.as_str()),
                };
                if n == 1 {
                    store::loss_reports::insert(
                        &mut tx,
                        &action,
                        &number,
                        today.checked_add_days(Days::new(7)).unwrap_or(today),
                        "phone",
                        CardState::Active,
                    )
                    .await?;
                    store::card_events::record(
                        &mut tx,
                        &action,
                        &number,
                        store::card_events::CardEventKind::LossReported,
                        &json!({ "channel": "phone" }),
                    )
                    .await?;
                }
                showcase.push((number, what));
            }
        }
        tx.commit().await?;
        done = members.min(done + 5000);
    }
    let receipts = guest_receipts(k).await?;
    Ok(DemoSummary {
        members,
        showcase,
        receipts,
    })
}

fn gift_catalogue(today: NaiveDate) -> Vec<Gift> {
    let until = today.checked_add_days(Days::new(180)).unwrap_or(today);
    [
        ("G-UMBRELLA", "折叠雨伞", 60, 200),
        ("G-MUG", "保温杯", 90, 150),
        ("G-TOTE", "帆布购物袋", 40, 500),
        ("G-TEA", "礼盒装茶叶", 800, 30),
    ]
    .into_iter()
    .map(|(code, name, price, stock)| Gift {
        code: code.into(),
        name: name.into(),
        points_price: price,
        stock,
        available_from: today,
        available_until: until,
    })
    .collect()
}

/// Today's guest sales a newcomer can present to enrol: ¥350 (VIP) and ¥6,500 (Gold).
async fn guest_receipts(k: &Kiosk) -> Result<Vec<(String, Decimal)>, FlowError> {
    let mut out = Vec::new();
    for (no, price) in [
        ("DEMO-0001", Decimal::new(35000, 2)),
        ("DEMO-0002", Decimal::new(650000, 2)),
    ] {
        let line = BasketLine {
            sku: "DEMO-COAT".into(),
            class: GoodsClass::Regular,
            unit_price: price,
            quantity: 1,
            original_unit_price: None,
            other_promotion: false,
        };
        let sale = SaleRequest {
            receipt_no: format!("{no}-{}", k.today().format("%Y%m%d")),
            till_id: k
                .config
                .tills
                .first()
                .cloned()
                .unwrap_or_else(|| "T01".into()),
            card_number: None,
            lines: vec![line],
            tenders: vec![Tender {
                kind: "cash".into(),
                amount: price,
            }],
            redeem_points: 0,
        };
        commit_sale(k, &k.action("demo", "demo"), sale.clone()).await?;
        out.push((sale.receipt_no, price));
    }
    Ok(out)
}
