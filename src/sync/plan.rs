//! The sync planned as data (atuin's way): the store's sync status in, the operations to run
//! out — which outbox ranges to push, whether to pull, how long to wait — and what a push
//! answer acknowledges. Pure: no IO, no clock, the random draw of the jitter is an argument.

use chrono::{DateTime, Duration, Utc};

use super::protocol::{PushAnswer, MAX_BATCH};
use crate::domain::card_status::CardState;
use crate::domain::events::state_precedence;

/// First backoff step after a failure.
pub const BACKOFF_FIRST_MS: i64 = 500;
/// Longest backoff.
pub const BACKOFF_MAX_MS: i64 = 60_000;
/// Most batches pushed in one round, so a long backlog never starves the pull (the hotlist).
pub const MAX_BATCHES_PER_ROUND: usize = 20;

/// A range of outbox seqs, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    pub first: i64,
    pub last: i64,
}

/// What the store knows when it plans a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub now: DateTime<Utc>,
    /// The unacknowledged part of the outbox (None: everything is at head office).
    pub unacknowledged: Option<SeqRange>,
    /// A conflict stopped pushing (an alarm is open): never push again by itself.
    pub conflict: bool,
    /// After a failure: no call before this instant.
    pub retry_at: Option<DateTime<Utc>>,
    /// The last successful pull (None: never).
    pub last_pull: Option<DateTime<Utc>>,
    pub pull_every: Duration,
    /// The change-feed cursor.
    pub cursor: i64,
}

/// One round's operations, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Batches to push, oldest first; the round stops at the first that fails.
    pub push: Vec<SeqRange>,
    /// Pull the change feed after this cursor.
    pub pull: Option<i64>,
    /// When the next round is due at the latest (the task may wake earlier for new rows).
    pub wait_until: DateTime<Utc>,
}

/// Decides a round.
pub fn plan(status: &Status) -> Plan {
    let pull_due = status
        .last_pull
        .map_or(status.now, |at| at + status.pull_every);
    if let Some(retry_at) = status.retry_at {
        if status.now < retry_at {
            return Plan {
                push: Vec::new(),
                pull: None,
                wait_until: retry_at,
            };
        }
    }
    let push = match (status.conflict, status.unacknowledged) {
        (false, Some(range)) => batches(range),
        _ => Vec::new(),
    };
    let pull = (status.now >= pull_due).then_some(status.cursor);
    let wait_until = if pull.is_some() {
        status.now + status.pull_every
    } else {
        pull_due
    };
    Plan {
        push,
        pull,
        wait_until,
    }
}

/// Splits `range` into batches of at most [`MAX_BATCH`] seqs (at most a round's worth).
pub fn batches(range: SeqRange) -> Vec<SeqRange> {
    let size = MAX_BATCH as i64;
    let mut out = Vec::new();
    let mut first = range.first;
    while first <= range.last && out.len() < MAX_BATCHES_PER_ROUND {
        let last = range.last.min(first + size - 1);
        out.push(SeqRange { first, last });
        first = last + 1;
    }
    out
}

/// The backoff before retry number `failures` (1 = after the first failure): exponential from
/// 0.5 s doubling to 60 s, with full jitter — a uniform draw in [0, step]; `draw` is that
/// random number in [0, 1].
pub fn backoff(failures: u32, draw: f64) -> Duration {
    let exponent = failures.saturating_sub(1).min(16);
    let step = (BACKOFF_FIRST_MS << exponent).min(BACKOFF_MAX_MS);
    let draw = if draw.is_finite() {
        draw.clamp(0.0, 1.0)
    } else {
        1.0
    };
    // Lossless enough: step ≤ 60,000 ms is exact in f64.
    Duration::milliseconds((step as f64 * draw).round() as i64)
}

/// What a push answer acknowledges: head office's contiguous high-water mark, but never
/// beyond what this push sent (an answer can't acknowledge rows head office never saw from
/// here) and never backwards (an acknowledgement is final).
pub fn acknowledged(current: i64, sent: SeqRange, answer: &PushAnswer) -> i64 {
    current.max(answer.high_water.min(sent.last))
}

/// A card's state after merging head office's copy into ours: the higher precedence wins
/// (`domain::events::state_precedence`), so no merge returns a blocked or replaced card to
/// active. The one exception is an explicit loss-report withdrawal forwarded by head office
/// (`withdrawal`), which may take a blocked card back to the state it names.
pub fn merged_state(local: CardState, incoming: CardState, withdrawal: bool) -> CardState {
    if withdrawal && local == CardState::Blocked && state_precedence(incoming) == 1 {
        return incoming;
    }
    if state_precedence(incoming) >= state_precedence(local) {
        incoming
    } else {
        local
    }
}

/// The sync state as `/api/health` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    NotConfigured,
    Online,
    Offline,
    Conflict,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::NotConfigured => "not_configured",
            State::Online => "online",
            State::Offline => "offline",
            State::Conflict => "conflict",
        }
    }
}

/// The state from the last success and the last failure: online while the last contact
/// succeeded; a conflict overrides both.
pub fn state(
    configured: bool,
    conflict: bool,
    last_success: Option<DateTime<Utc>>,
    last_failure: Option<DateTime<Utc>>,
) -> State {
    match (configured, conflict, last_success, last_failure) {
        (false, _, _, _) => State::NotConfigured,
        (true, true, _, _) => State::Conflict,
        (true, false, Some(ok), Some(failed)) if ok >= failed => State::Online,
        (true, false, Some(_), None) => State::Online,
        _ => State::Offline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000) + Duration::seconds(seconds)
    }

    fn status() -> Status {
        Status {
            now: t(100),
            unacknowledged: None,
            conflict: false,
            retry_at: None,
            last_pull: Some(t(98)),
            pull_every: Duration::seconds(5),
            cursor: 7,
        }
    }

    #[test]
    fn nothing_to_do_waits_for_the_next_pull() {
        let p = plan(&status());
        assert!(p.push.is_empty());
        assert_eq!(p.pull, None);
        assert_eq!(p.wait_until, t(103));
    }

    #[test]
    fn a_backlog_is_pushed_in_batches_of_at_most_1000() {
        let s = Status {
            unacknowledged: Some(SeqRange {
                first: 11,
                last: 2510,
            }),
            ..status()
        };
        let p = plan(&s);
        assert_eq!(
            p.push,
            vec![
                SeqRange {
                    first: 11,
                    last: 1010
                },
                SeqRange {
                    first: 1011,
                    last: 2010
                },
                SeqRange {
                    first: 2011,
                    last: 2510
                },
            ]
        );
        assert!(p.push.iter().all(|r| r.last - r.first < 1000));
    }

    #[test]
    fn a_huge_backlog_leaves_room_for_the_pull() {
        let s = Status {
            unacknowledged: Some(SeqRange {
                first: 1,
                last: 1_000_000,
            }),
            last_pull: Some(t(90)),
            ..status()
        };
        let p = plan(&s);
        assert_eq!(p.push.len(), MAX_BATCHES_PER_ROUND);
        assert_eq!(
            p.pull,
            Some(7),
            "the pull is due and planned with the pushes"
        );
    }

    #[test]
    fn pull_when_due_or_never_pulled() {
        assert_eq!(
            plan(&Status {
                last_pull: None,
                ..status()
            })
            .pull,
            Some(7)
        );
        let p = plan(&Status {
            last_pull: Some(t(95)),
            ..status()
        });
        assert_eq!(p.pull, Some(7));
        assert_eq!(p.wait_until, t(105));
    }

    #[test]
    fn a_conflict_stops_pushing_but_not_pulling() {
        let s = Status {
            unacknowledged: Some(SeqRange { first: 1, last: 5 }),
            conflict: true,
            last_pull: None,
            ..status()
        };
        let p = plan(&s);
        assert!(p.push.is_empty());
        assert_eq!(p.pull, Some(7));
    }

    #[test]
    fn during_backoff_nothing_is_called() {
        let s = Status {
            unacknowledged: Some(SeqRange { first: 1, last: 5 }),
            retry_at: Some(t(102)),
            last_pull: None,
            ..status()
        };
        let p = plan(&s);
        assert!(p.push.is_empty());
        assert_eq!(p.pull, None);
        assert_eq!(p.wait_until, t(102));
        let after = plan(&Status { now: t(102), ..s });
        assert_eq!(after.push.len(), 1);
    }

    #[test]
    fn backoff_doubles_from_half_a_second_to_a_minute_with_full_jitter() {
        assert_eq!(backoff(1, 1.0), Duration::milliseconds(500));
        assert_eq!(backoff(2, 1.0), Duration::milliseconds(1000));
        assert_eq!(backoff(3, 1.0), Duration::milliseconds(2000));
        assert_eq!(backoff(8, 1.0), Duration::milliseconds(60_000));
        assert_eq!(backoff(500, 1.0), Duration::milliseconds(60_000));
        assert_eq!(backoff(4, 0.0), Duration::zero());
        assert_eq!(backoff(4, 0.5), Duration::milliseconds(2000));
        assert_eq!(backoff(4, f64::NAN), Duration::milliseconds(4000));
        assert_eq!(backoff(4, 7.0), Duration::milliseconds(4000));
    }

    #[test]
    fn an_answer_acknowledges_at_most_what_was_sent_and_never_backwards() {
        let sent = SeqRange {
            first: 11,
            last: 20,
        };
        let answer = |hw| PushAnswer {
            high_water: hw,
            inserted: 0,
        };
        assert_eq!(acknowledged(10, sent, &answer(20)), 20);
        assert_eq!(acknowledged(10, sent, &answer(15)), 15, "partly stored");
        assert_eq!(
            acknowledged(10, sent, &answer(99)),
            20,
            "never beyond what was sent"
        );
        assert_eq!(acknowledged(10, sent, &answer(3)), 10, "never backwards");
    }

    #[test]
    fn card_merge_never_returns_to_active_except_a_withdrawal() {
        use CardState::*;
        assert_eq!(merged_state(Active, Blocked, false), Blocked);
        assert_eq!(merged_state(Blocked, Active, false), Blocked);
        assert_eq!(merged_state(Replaced, Active, false), Replaced);
        assert_eq!(merged_state(Replaced, Blocked, false), Replaced);
        assert_eq!(
            merged_state(Active, Inactive, false),
            Inactive,
            "same rank: theirs"
        );
        assert_eq!(
            merged_state(Inactive, Active, false),
            Active,
            "reactivated there"
        );
        assert_eq!(
            merged_state(Blocked, Active, true),
            Active,
            "an explicit withdrawal"
        );
        assert_eq!(
            merged_state(Replaced, Active, true),
            Replaced,
            "never for replaced"
        );
        assert_eq!(merged_state(Void, Active, true), Void);
        for local in [Reserved, Active, Inactive, Blocked, Replaced, Void] {
            for incoming in [Reserved, Active, Inactive, Blocked, Replaced, Void] {
                let m = merged_state(local, incoming, false);
                assert!(state_precedence(m) >= state_precedence(local));
                assert!(state_precedence(m) >= state_precedence(incoming));
            }
        }
    }

    #[test]
    fn the_state_follows_the_last_contact() {
        assert_eq!(state(false, false, None, None), State::NotConfigured);
        assert_eq!(state(true, false, None, None), State::Offline);
        assert_eq!(state(true, false, Some(t(5)), Some(t(3))), State::Online);
        assert_eq!(state(true, false, Some(t(5)), Some(t(6))), State::Offline);
        assert_eq!(state(true, true, Some(t(5)), None), State::Conflict);
        assert_eq!(State::Conflict.as_str(), "conflict");
    }
}
