//! An in-memory head office for one store (tests): stores pushed events by seq with the same
//! rule as the real one (same seq and hash: kept once; another hash: conflict), serves a
//! change feed the test fills, and can be told to fail calls or to lose an answer after
//! storing (the case exactly-once is about).

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::Utc;

use super::client::{Call, HeadOffice, HeadOfficeError};
use super::protocol::{
    ChainKeys, Change, ChangesAnswer, Conflict, EnrolmentCheck, EnrolmentCheckAnswer, KnownMember,
    PushAnswer, PushRequest, RedemptionAnswer, RedemptionRequest, SentEvent,
};

#[derive(Default)]
struct Inner {
    events: BTreeMap<i64, SentEvent>,
    changes: Vec<Change>,
    /// The next this many calls fail as unreachable before doing anything.
    fail_next: u32,
    /// The next push is stored, then its answer is lost.
    lose_next_answer: bool,
    pushes: u32,
    keys: Option<ChainKeys>,
    balance: i64,
    known: Vec<KnownMember>,
}

#[derive(Default)]
pub struct MemoryHeadOffice(Mutex<Inner>);

impl MemoryHeadOffice {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        match self.0.lock() {
            Ok(mut i) => f(&mut i),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Every event stored, by seq.
    pub fn events(&self) -> Vec<SentEvent> {
        self.with(|i| i.events.values().cloned().collect())
    }

    /// How many push calls arrived (failed ones included).
    pub fn pushes(&self) -> u32 {
        self.with(|i| i.pushes)
    }

    pub fn fail_next(&self, calls: u32) {
        self.with(|i| i.fail_next = calls);
    }

    pub fn lose_next_answer(&self) {
        self.with(|i| i.lose_next_answer = true);
    }

    /// Replaces a stored event's hash (as if another copy of the store had sent it).
    pub fn tamper(&self, seq: i64, hash: &str) {
        self.with(|i| {
            if let Some(e) = i.events.get_mut(&seq) {
                e.hash = hash.to_owned();
            }
        });
    }

    /// Appends a change to the feed (its id is the next one).
    pub fn add_change(&self, origin: Option<&str>, body: super::protocol::ChangeBody) {
        self.with(|i| {
            let id = i.changes.len() as i64 + 1;
            i.changes.push(Change {
                id,
                origin: origin.map(str::to_owned),
                body,
            });
        });
    }

    pub fn set_keys(&self, keys: ChainKeys) {
        self.with(|i| i.keys = Some(keys));
    }

    /// The members the enrolment check answers (whatever is asked).
    pub fn set_known(&self, known: Vec<KnownMember>) {
        self.with(|i| i.known = known);
    }

    pub fn set_balance(&self, balance: i64) {
        self.with(|i| i.balance = balance);
    }

    fn fail(i: &mut Inner) -> Result<(), HeadOfficeError> {
        if i.fail_next > 0 {
            i.fail_next -= 1;
            return Err(HeadOfficeError::Unreachable("test: link down".into()));
        }
        Ok(())
    }
}

fn ready<'a, T: Send + 'a>(r: Result<T, HeadOfficeError>) -> Call<'a, T> {
    Box::pin(std::future::ready(r))
}

impl HeadOffice for MemoryHeadOffice {
    fn push<'a>(&'a self, request: &'a PushRequest) -> Call<'a, PushAnswer> {
        ready(self.with(|i| {
            i.pushes += 1;
            Self::fail(i)?;
            let mut inserted = 0;
            for e in &request.events {
                match i.events.get(&e.seq) {
                    Some(stored) if stored.hash != e.hash => {
                        return Err(HeadOfficeError::Conflict(Conflict {
                            seq: e.seq,
                            stored_hash: stored.hash.clone(),
                            sent_hash: e.hash.clone(),
                        }))
                    }
                    Some(_) => {}
                    None => {
                        i.events.insert(e.seq, e.clone());
                        inserted += 1;
                    }
                }
            }
            let mut high_water = 0;
            while i.events.contains_key(&(high_water + 1)) {
                high_water += 1;
            }
            if std::mem::take(&mut i.lose_next_answer) {
                return Err(HeadOfficeError::Unreachable("test: answer lost".into()));
            }
            Ok(PushAnswer {
                high_water,
                inserted,
            })
        }))
    }

    fn changes(&self, after: i64, limit: u32) -> Call<'_, ChangesAnswer> {
        ready(self.with(|i| {
            Self::fail(i)?;
            let changes: Vec<Change> = i
                .changes
                .iter()
                .filter(|c| c.id > after)
                .take(limit as usize)
                .cloned()
                .collect();
            let next = changes.last().map_or(after, |c| c.id);
            Ok(ChangesAnswer {
                changes,
                next,
                at: Utc::now(),
            })
        }))
    }

    fn redeem<'a>(&'a self, request: &'a RedemptionRequest) -> Call<'a, RedemptionAnswer> {
        ready(self.with(|i| {
            Self::fail(i)?;
            let balance = i.balance + request.unacknowledged_delta;
            let approved = balance >= request.points;
            if approved {
                i.balance -= request.points;
            }
            Ok(RedemptionAnswer { approved, balance })
        }))
    }

    fn check_enrolment<'a>(
        &'a self,
        _request: &'a EnrolmentCheck,
    ) -> Call<'a, EnrolmentCheckAnswer> {
        ready(self.with(|i| {
            Self::fail(i)?;
            Ok(EnrolmentCheckAnswer {
                members: i.known.clone(),
            })
        }))
    }

    fn keys(&self) -> Call<'_, ChainKeys> {
        ready(self.with(|i| {
            Self::fail(i)?;
            i.keys.clone().ok_or(HeadOfficeError::Unexpected {
                status: 404,
                code: "not_found".into(),
            })
        }))
    }
}
