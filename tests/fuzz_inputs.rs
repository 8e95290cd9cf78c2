//! Fuzz-style property tests (proptest: cargo-fuzz needs a nightly toolchain) for the two
//! decoders that take bytes from outside the kiosk:
//!
//! - the card: the 128-byte record EF (two 64-byte slots, CRC + HMAC), the response APDUs the
//!   ISO card profile parses (`apdu::Response::parse`, `iso_card::{read, write, read_uid}`),
//!   and the in-memory card OS (`VirtualCard::respond`, `VirtualCard::load`) that stands in
//!   for a reader;
//! - the till: the `/api/quotes` and `/api/sales` JSON bodies, decoded by the real `ApiJson`
//!   extractor and then priced by `domain::quote` (the same pure code the checkout flow runs).
//!
//! Every target asserts "no panic on any input" plus what the input must or must not give:
//! a mutated record is never accepted unless it is byte-identical to a genuine one, a record
//! round-trips, an unknown JSON field is always refused, and an accepted basket prices to a
//! payable ≥ 0 whose lines add up to the cent.
//!
//! Bounds. Each target runs `FUZZ_CASES` cases (default 5,000) and stops early when its
//! wall-clock cap `FUZZ_SECONDS` (default 10 s per target; 1 h when `FUZZ_CASES` is set and
//! `FUZZ_SECONDS` is not) runs out. The default run takes well under a minute in a debug build
//! on 2 cores. The seed is random and printed (`--nocapture`); `FUZZ_SEED=<n>` replays it.
//! Nothing is written to the repository (no `proptest-regressions/`): a failure prints the
//! shrunk input and the seed.
//!
//! ```text
//! cargo test --test fuzz_inputs                                     # the bounded default
//! FUZZ_CASES=1000000 cargo test --release --test fuzz_inputs -- --nocapture
//! FUZZ_CASES=1000000 FUZZ_SECONDS=600 cargo test --release --test fuzz_inputs card_
//! FUZZ_SEED=1234 cargo test --test fuzz_inputs basket_              # replay a seed
//! ```

use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt::Debug;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::Request;
use chrono::{Datelike, Days, NaiveDate};
use hmac::{Hmac, Mac};
use member_kiosk::card::apdu::{self, Command, Response};
use member_kiosk::card::iso_card::{self, Link, Quirks};
use member_kiosk::card::keys::Keyring;
use member_kiosk::card::reader::ReaderError;
use member_kiosk::card::record::{
    decode_slot, encode_slot, next_write, read_content, CardContent, CardIdentity, Damage,
    SlotState, RECORD_LEN, SLOT_LEN,
};
use member_kiosk::card::virtual_card::VirtualCard;
use member_kiosk::domain::basket::{Basket, GoodsClass, Tender};
use member_kiosk::domain::policy::Policy;
use member_kiosk::domain::quote::{check_tenders_settle, quote, LineBenefit, MemberContext, Quote};
use member_kiosk::domain::Tier;
use member_kiosk::flows::checkout::{check_receipt_no, request_hash, QuoteRequest, SaleRequest};
use member_kiosk::flows::lookup::parse_card_number;
use member_kiosk::http::extract::ApiJson;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::Sha256;

// ---------------------------------------------------------------------------------------
// The runner: cases from FUZZ_CASES, a wall-clock cap from FUZZ_SECONDS, no persistence.
// ---------------------------------------------------------------------------------------

const DEFAULT_CASES: u32 = 5_000;
const DEFAULT_SECONDS: u64 = 10;
const LONG_RUN_SECONDS: u64 = 3_600;
/// Cases per runner: the clock is looked at between chunks (and skips cases inside one).
const CHUNK: u32 = 250;

thread_local! {
    /// Per target (each runs on its own thread): bodies decoded, and quotes accepted.
    static REACHED: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn reached_decode() {
    REACHED.with(|r| r.set((r.get().0 + 1, r.get().1)));
}

fn reached_quote() {
    REACHED.with(|r| r.set((r.get().0, r.get().1 + 1)));
}

fn env_num<T: std::str::FromStr>(name: &str) -> Option<T> {
    let raw = std::env::var(name).ok()?;
    match raw.trim().parse() {
        Ok(v) => Some(v),
        Err(_) => panic!("{name}={raw:?} is not a number"),
    }
}

/// Runs `test` on up to `FUZZ_CASES` values of `strategy`, within `FUZZ_SECONDS`. A failing
/// case (an assertion or a panic in the code under test) is shrunk and reported with the seed.
fn fuzz<S>(name: &str, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let cases_set = env_num::<u32>("FUZZ_CASES");
    let cases = cases_set.unwrap_or(DEFAULT_CASES).max(1);
    let seconds = env_num::<u64>("FUZZ_SECONDS").unwrap_or(if cases_set.is_some() {
        LONG_RUN_SECONDS
    } else {
        DEFAULT_SECONDS
    });
    let seed = env_num::<u64>("FUZZ_SEED").unwrap_or_else(|| {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        nanos
            ^ name
                .bytes()
                .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b))
    });
    REACHED.with(|r| r.set((0, 0)));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let ran = Cell::new(0u32);
    let mut chunk_no = 0u64;
    while ran.get() < cases && Instant::now() < deadline {
        let chunk = CHUNK.min(cases - ran.get());
        let config = Config {
            cases: chunk,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(seed.wrapping_add(chunk_no)),
            max_shrink_time: 60_000,
            max_global_rejects: chunk.saturating_mul(4).max(1024),
            max_local_rejects: chunk.saturating_mul(64).max(65_536),
            source_file: None,
            ..Config::default()
        };
        let mut runner = TestRunner::new(config);
        let result = runner.run(&strategy, |value| {
            if Instant::now() >= deadline {
                return Ok(());
            }
            ran.set(ran.get() + 1);
            test(value)
        });
        if let Err(e) = result {
            panic!(
                "{name}: {e}\n(seed {seed}, chunk {chunk_no}: replay with FUZZ_SEED={seed} \
                 FUZZ_CASES={cases})"
            );
        }
        chunk_no += 1;
    }
    let (decoded, quoted) = REACHED.with(Cell::get);
    eprintln!(
        "{name}: {} of {cases} cases in {:.1?}{}{} (FUZZ_SEED={seed})",
        ran.get().min(cases),
        start.elapsed(),
        if decoded + quoted > 0 {
            format!("; {decoded} requests decoded, {quoted} quotes accepted and checked")
        } else {
            String::new()
        },
        if ran.get() < cases {
            " — stopped by the FUZZ_SECONDS cap"
        } else {
            ""
        }
    );
}

// ---------------------------------------------------------------------------------------
// Card record: helpers
// ---------------------------------------------------------------------------------------

const SECRET: [u8; 32] = [7u8; 32];
const KEY_ID: u8 = 1;

fn keys() -> Keyring {
    Keyring::single(KEY_ID, SECRET)
}

fn crc_fix(slot: &mut [u8]) {
    let crc = crc32fast::hash(&slot[..44]);
    slot[44..48].copy_from_slice(&crc.to_be_bytes());
}

/// CRC and MAC recomputed with `keys` (an issuer's write; a forger's with another secret).
fn resign(slot: &mut [u8], keys: &Keyring) {
    crc_fix(slot);
    let number = hex::encode(&slot[8..18]);
    let Some(key) = keys.card_key(slot[3], number.trim_end_matches('f')) else {
        return;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(&slot[..48]);
    slot[48..64].copy_from_slice(&mac.finalize().into_bytes()[..16]);
}

fn date_in(years: std::ops::RangeInclusive<i32>) -> impl Strategy<Value = NaiveDate> {
    (years, 0u64..366).prop_map(|(y, d)| {
        let first = NaiveDate::from_yo_opt(y, 1).expect("1 January exists");
        first
            .checked_add_days(Days::new(d))
            .filter(|x| x.year() == y)
            .unwrap_or(first)
    })
}

/// Identities the record can hold (every field in range).
fn arb_identity() -> impl Strategy<Value = CardIdentity> {
    (
        "[0-9]{1,19}",
        prop_oneof![0u32..=3, 0u32..=65_535, Just(65_535u32)],
        prop::sample::select(Tier::ALL.to_vec()),
        date_in(0..=9999),
        date_in(1990..=2100),
        "[0-9]{4}",
    )
        .prop_map(
            |(card_number, generation, tier, valid_from, expiry, issuing_store)| CardIdentity {
                card_number,
                generation,
                tier,
                valid_from,
                expiry,
                issuing_store,
            },
        )
}

/// Any identity at all, most of which the record cannot hold.
fn wild_identity() -> impl Strategy<Value = CardIdentity> {
    let text = || {
        prop_oneof![
            "[0-9]{0,24}",
            "[0-9\u{660}-\u{669}\u{ff10}-\u{ff19} fF+-]{0,20}",
            any::<String>(),
        ]
    };
    let date = prop_oneof![
        date_in(-300..=10_100),
        any::<i32>()
            .prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(NaiveDate::MAX)),
        Just(NaiveDate::MIN),
        Just(NaiveDate::MAX),
    ];
    (
        text(),
        any::<u32>(),
        prop::sample::select(Tier::ALL.to_vec()),
        date.clone(),
        date,
        text(),
    )
        .prop_map(
            |(card_number, generation, tier, valid_from, expiry, issuing_store)| CardIdentity {
                card_number,
                generation,
                tier,
                valid_from,
                expiry,
                issuing_store,
            },
        )
}

/// What the second slot of the EF holds before mutation.
#[derive(Debug, Clone)]
enum Other {
    Zeros,
    Ones,
    /// Another genuine record of this issuer.
    Genuine(CardIdentity, u32),
    /// A record MACed by another issuer under the same key id.
    Foreign(CardIdentity, u32, [u8; 32]),
    Random(Vec<u8>),
}

fn arb_other() -> impl Strategy<Value = Other> {
    prop_oneof![
        Just(Other::Zeros),
        Just(Other::Ones),
        (arb_identity(), 1u32..=u32::MAX).prop_map(|(i, s)| Other::Genuine(i, s)),
        (arb_identity(), 1u32..=u32::MAX, any::<[u8; 32]>())
            .prop_map(|(i, s, k)| Other::Foreign(i, s, k)),
        prop::collection::vec(any::<u8>(), SLOT_LEN).prop_map(Other::Random),
    ]
}

/// One change to the EF bytes. Offsets are taken modulo the current length.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        value: u8,
    },
    Truncate {
        len: usize,
    },
    Extend {
        bytes: Vec<u8>,
    },
    /// Another key id in a slot, the CRC fixed so the key check is reached.
    KeyId {
        slot: usize,
        id: u8,
        fix_crc: bool,
    },
    /// Another write counter (a replayed / rolled-forward slot), CRC fixed.
    Seq {
        slot: usize,
        seq: u32,
        fix_crc: bool,
    },
    /// A signed field byte (8..44) changed, CRC fixed: only the MAC can catch it.
    Field {
        slot: usize,
        at: usize,
        value: u8,
        fix_crc: bool,
    },
    /// Fields changed and re-MACed by someone with another secret.
    Forge {
        slot: usize,
        at: usize,
        value: u8,
        secret: [u8; 32],
    },
    /// The MAC of one slot put on the other.
    SwapMac {
        from: usize,
        to: usize,
    },
    /// A whole slot copied over the other (both genuine: allowed).
    CopySlot {
        from: usize,
        to: usize,
    },
    SwapSlots,
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let slot = || 0usize..2;
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, value)| Mutation::SetByte { at, value }),
        (0usize..=RECORD_LEN + 8).prop_map(|len| Mutation::Truncate { len }),
        prop::collection::vec(any::<u8>(), 1..80).prop_map(|bytes| Mutation::Extend { bytes }),
        (slot(), any::<u8>(), any::<bool>()).prop_map(|(slot, id, fix_crc)| Mutation::KeyId {
            slot,
            id,
            fix_crc
        }),
        (slot(), any::<u32>(), any::<bool>()).prop_map(|(slot, seq, fix_crc)| Mutation::Seq {
            slot,
            seq,
            fix_crc
        }),
        (slot(), 8usize..44, any::<u8>(), any::<bool>()).prop_map(|(slot, at, value, fix_crc)| {
            Mutation::Field {
                slot,
                at,
                value,
                fix_crc,
            }
        }),
        (slot(), 0usize..48, any::<u8>(), any::<[u8; 32]>()).prop_map(
            |(slot, at, value, secret)| Mutation::Forge {
                slot,
                at,
                value,
                secret,
            }
        ),
        (slot(), slot()).prop_map(|(from, to)| Mutation::SwapMac { from, to }),
        (slot(), slot()).prop_map(|(from, to)| Mutation::CopySlot { from, to }),
        Just(Mutation::SwapSlots),
    ]
}

fn slot_range(ef: &[u8], slot: usize) -> Option<std::ops::Range<usize>> {
    let range = slot * SLOT_LEN..(slot + 1) * SLOT_LEN;
    (range.end <= ef.len()).then_some(range)
}

fn apply(ef: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::FlipBit { at, bit } => {
            if !ef.is_empty() {
                let i = at % ef.len();
                ef[i] ^= 1 << bit;
            }
        }
        Mutation::SetByte { at, value } => {
            if !ef.is_empty() {
                let i = at % ef.len();
                ef[i] = *value;
            }
        }
        Mutation::Truncate { len } => ef.truncate(*len),
        Mutation::Extend { bytes } => ef.extend_from_slice(bytes),
        Mutation::KeyId { slot, id, fix_crc } => {
            if let Some(r) = slot_range(ef, *slot) {
                let s = &mut ef[r];
                s[3] = *id;
                if *fix_crc {
                    crc_fix(s);
                }
            }
        }
        Mutation::Seq { slot, seq, fix_crc } => {
            if let Some(r) = slot_range(ef, *slot) {
                let s = &mut ef[r];
                s[4..8].copy_from_slice(&seq.to_be_bytes());
                if *fix_crc {
                    crc_fix(s);
                }
            }
        }
        Mutation::Field {
            slot,
            at,
            value,
            fix_crc,
        } => {
            if let Some(r) = slot_range(ef, *slot) {
                let s = &mut ef[r];
                s[*at] = *value;
                if *fix_crc {
                    crc_fix(s);
                }
            }
        }
        Mutation::Forge {
            slot,
            at,
            value,
            secret,
        } => {
            if let Some(r) = slot_range(ef, *slot) {
                // A forger's key is never ours (a shrunk secret could collide with SECRET).
                let mut secret = *secret;
                if secret == SECRET {
                    secret[0] ^= 0xFF;
                }
                let s = &mut ef[r];
                s[*at] = *value;
                resign(s, &Keyring::single(s[3], secret));
            }
        }
        Mutation::SwapMac { from, to } => {
            if let (Some(a), Some(b)) = (slot_range(ef, *from), slot_range(ef, *to)) {
                let mac: Vec<u8> = ef[a][48..].to_vec();
                ef[b][48..].copy_from_slice(&mac);
            }
        }
        Mutation::CopySlot { from, to } => {
            if let (Some(a), Some(b)) = (slot_range(ef, *from), slot_range(ef, *to)) {
                let bytes: Vec<u8> = ef[a].to_vec();
                ef[b].copy_from_slice(&bytes);
            }
        }
        Mutation::SwapSlots => {
            if ef.len() >= RECORD_LEN {
                let (a, b) = ef.split_at_mut(SLOT_LEN);
                a.swap_with_slice(&mut b[..SLOT_LEN]);
            }
        }
    }
}

/// What the decoder must say about a slot that is not one of the genuine ones, from the
/// documented check order (record.rs): empty; magic/version; CRC; key id; MAC.
fn expected_damage(slot: &[u8], keys: &Keyring) -> Option<SlotState> {
    if slot.iter().all(|&b| b == 0) || slot.iter().all(|&b| b == 0xFF) {
        return Some(SlotState::Empty);
    }
    if slot[0..2] != *b"MK" || slot[2] != 1 {
        return Some(SlotState::Damaged(Damage::BadFormat));
    }
    if crc32fast::hash(&slot[..44]).to_be_bytes() != slot[44..48] {
        return Some(SlotState::Damaged(Damage::BadCrc));
    }
    if !keys.ids().contains(&slot[3]) {
        return Some(SlotState::Damaged(Damage::UnknownKey));
    }
    Some(SlotState::Damaged(Damage::BadMac))
}

// ---------------------------------------------------------------------------------------
// Card record: targets
// ---------------------------------------------------------------------------------------

/// Arbitrary bytes: any length, exactly one slot, exactly one EF, and slots that get past the
/// magic check (so the CRC, key and MAC paths run on garbage).
fn arb_card_bytes() -> impl Strategy<Value = Vec<u8>> {
    let prefixed = |n: usize| {
        (prop::collection::vec(any::<u8>(), n), any::<bool>()).prop_map(|(mut b, crc)| {
            for s in b.chunks_mut(SLOT_LEN) {
                if s.len() == SLOT_LEN {
                    s[..4].copy_from_slice(&[b'M', b'K', 1, KEY_ID]);
                    if crc {
                        crc_fix(s);
                    }
                }
            }
            b
        })
    };
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..=300),
        prop::collection::vec(any::<u8>(), SLOT_LEN),
        prop::collection::vec(any::<u8>(), RECORD_LEN),
        prefixed(SLOT_LEN),
        prefixed(RECORD_LEN),
        prop::collection::vec(prop::sample::select(vec![0x00u8, 0xFF]), RECORD_LEN),
    ]
}

#[test]
fn card_arbitrary_bytes_never_panic() {
    let keys = keys();
    fuzz("card_arbitrary_bytes", arb_card_bytes(), |bytes| {
        let state = decode_slot(&bytes, &keys);
        if bytes.len() != SLOT_LEN {
            prop_assert_eq!(&state, &SlotState::Damaged(Damage::BadFormat));
        } else {
            // Garbage is never a valid record: nobody signed it.
            prop_assert!(!matches!(state, SlotState::Valid(_)), "{:?}", state);
            prop_assert_eq!(Some(state), expected_damage(&bytes, &keys));
        }
        let content = read_content(&bytes, &keys);
        if bytes.len() < RECORD_LEN {
            prop_assert_eq!(&content, &CardContent::Corrupted(Damage::BadFormat));
        }
        prop_assert!(
            !matches!(content, CardContent::Record { .. }),
            "{:?}",
            content
        );
        let (slot, seq) = next_write(&content);
        prop_assert!(slot < 2 && seq == 1);

        // The same bytes as a raw answer from the card.
        match Response::parse(&bytes) {
            None => prop_assert!(bytes.len() < 2),
            Some(r) => {
                prop_assert_eq!(r.data.len() + 2, bytes.len());
                let mut back = r.data.clone();
                back.extend_from_slice(&r.sw.to_be_bytes());
                prop_assert_eq!(back, bytes);
            }
        }
        Ok(())
    });
}

#[test]
fn card_record_round_trips() {
    fuzz(
        "card_record_round_trip",
        (
            arb_identity(),
            1u32..=u32::MAX,
            any::<u8>(),
            any::<[u8; 32]>(),
            any::<bool>(),
        ),
        |(id, seq, key_id, secret, second)| {
            let keys = Keyring::single(key_id, secret);
            let bytes = encode_slot(&id, seq, &keys).expect("an identity in range encodes");
            let decoded = decode_slot(&bytes, &keys);
            let SlotState::Valid(slot) = decoded else {
                return Err(TestCaseError::fail(format!("not valid: {decoded:?}")));
            };
            prop_assert_eq!(slot.seq, seq);
            prop_assert_eq!(slot.key_id, key_id);
            prop_assert_eq!(&slot.identity, &id);
            // Re-encoding the decoded slot gives the very same bytes.
            prop_assert_eq!(encode_slot(&slot.identity, slot.seq, &keys), Ok(bytes));

            let ef = if second {
                [[0xFF; SLOT_LEN], bytes].concat()
            } else {
                [bytes, [0x00; SLOT_LEN]].concat()
            };
            match read_content(&ef, &keys) {
                CardContent::Record {
                    slot: at,
                    current,
                    other,
                } => {
                    prop_assert_eq!(at, usize::from(second));
                    prop_assert_eq!(current, slot);
                    prop_assert_eq!(other, SlotState::Empty);
                }
                other => return Err(TestCaseError::fail(format!("not a record: {other:?}"))),
            }
            Ok(())
        },
    );
}

#[test]
fn card_encoder_refuses_or_round_trips_any_identity() {
    fuzz(
        "card_encoder_wild_identity",
        (wild_identity(), any::<u32>()),
        |(id, seq)| {
            let keys = keys();
            match encode_slot(&id, seq, &keys) {
                Err(_) => {}
                Ok(bytes) => {
                    let decoded = decode_slot(&bytes, &keys);
                    let SlotState::Valid(slot) = decoded else {
                        return Err(TestCaseError::fail(format!(
                            "an encoded slot does not decode: {decoded:?}"
                        )));
                    };
                    prop_assert_eq!(slot.identity, id);
                    prop_assert_eq!(slot.seq, seq);
                }
            }
            Ok(())
        },
    );
}

#[test]
fn card_mutated_records_are_never_accepted() {
    let strategy = (
        arb_identity(),
        1u32..=u32::MAX,
        arb_other(),
        prop::collection::vec(arb_mutation(), 1..5),
    );
    fuzz(
        "card_mutated_record",
        strategy,
        |(id, seq, other, mutations)| {
            let keys = keys();
            let first = encode_slot(&id, seq, &keys).expect("encodable");
            let mut genuine = vec![first];
            let second: [u8; SLOT_LEN] = match &other {
                Other::Zeros => [0; SLOT_LEN],
                Other::Ones => [0xFF; SLOT_LEN],
                Other::Genuine(id, seq) => {
                    let s = encode_slot(id, *seq, &keys).expect("encodable");
                    genuine.push(s);
                    s
                }
                Other::Foreign(id, seq, secret) => {
                    let mut secret = *secret;
                    if secret == SECRET {
                        secret[0] ^= 0xFF;
                    }
                    encode_slot(id, *seq, &Keyring::single(KEY_ID, secret)).expect("encodable")
                }
                Other::Random(b) => b.as_slice().try_into().expect("64 bytes"),
            };
            let mut ef = [first, second].concat();
            for m in &mutations {
                apply(&mut ef, m);
            }

            // Each slot on its own: valid only if byte-identical to a genuine slot.
            for i in 0..2 {
                let Some(r) = slot_range(&ef, i) else {
                    continue;
                };
                let chunk = &ef[r];
                let state = decode_slot(chunk, &keys);
                if genuine.iter().any(|g| g[..] == *chunk) {
                    prop_assert!(matches!(state, SlotState::Valid(_)), "{:?}", state);
                } else {
                    prop_assert!(
                        !matches!(state, SlotState::Valid(_)),
                        "slot {} accepted after {:?}: {:?}",
                        i,
                        mutations,
                        state
                    );
                    prop_assert_eq!(Some(state), expected_damage(chunk, &keys));
                }
            }

            // The EF verdict: a record only from a genuine slot, and the one it decodes to.
            let content = read_content(&ef, &keys);
            match &content {
                CardContent::Record { slot, current, .. } => {
                    let r = slot_range(&ef, *slot).expect("a record slot is inside the EF");
                    let chunk = &ef[r];
                    prop_assert!(
                        genuine.iter().any(|g| g[..] == *chunk),
                        "a mutated slot won: {:?}",
                        content
                    );
                    prop_assert_eq!(decode_slot(chunk, &keys), SlotState::Valid(current.clone()));
                }
                CardContent::Blank | CardContent::Forged(_) | CardContent::Corrupted(_) => {
                    if ef.len() >= RECORD_LEN {
                        for i in 0..2 {
                            let chunk = &ef[i * SLOT_LEN..(i + 1) * SLOT_LEN];
                            prop_assert!(
                                !genuine.iter().any(|g| g[..] == *chunk),
                                "a genuine slot was not read: {:?}",
                                content
                            );
                        }
                    }
                }
            }
            let (slot, _) = next_write(&content);
            if let CardContent::Record { slot: current, .. } = &content {
                prop_assert_ne!(slot, *current);
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------
// Card answers: the ISO profile over a link that answers anything
// ---------------------------------------------------------------------------------------

/// A card that answers from a script; once the script is out, the card is gone.
struct Scripted {
    answers: VecDeque<Result<Response, ReaderError>>,
}

impl Link for Scripted {
    fn transmit(&mut self, command: &Command) -> Result<Response, ReaderError> {
        // Every command the profile sends is well formed.
        let bytes = command.to_bytes();
        assert!(bytes.len() >= 4 && bytes.len() <= 4 + 1 + 255 + 1);
        self.answers
            .pop_front()
            .unwrap_or(Err(ReaderError::Removed))
    }
}

#[derive(Debug, Clone)]
enum Answer {
    /// Raw bytes from the reader, through `Response::parse` (too short = card left).
    Raw(Vec<u8>),
    /// Data and a status word.
    Data(Vec<u8>, u16),
    Error(ReaderError),
}

fn arb_sw() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => Just(apdu::SW_OK),
        1 => Just(apdu::SW_EOF_WARNING),
        1 => Just(apdu::SW_FILE_NOT_FOUND),
        1 => any::<u16>(),
    ]
}

fn arb_answer(genuine_ef: Vec<u8>) -> impl Strategy<Value = Answer> {
    let ef = genuine_ef.clone();
    let data = prop_oneof![
        Just(Vec::new()),
        Just(genuine_ef.clone()),
        Just(genuine_ef[..SLOT_LEN].to_vec()),
        (0..=RECORD_LEN + 40, any::<u8>()).prop_map(move |(n, fill)| {
            let mut d = ef.clone();
            d.resize(n, fill);
            d
        }),
        (any::<usize>(), any::<u8>()).prop_map(move |(at, x)| {
            let mut d = genuine_ef.clone();
            let i = at % d.len();
            d[i] ^= x | 1;
            d
        }),
        prop::collection::vec(any::<u8>(), 0..300),
    ];
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..140).prop_map(Answer::Raw),
        6 => (data, arb_sw()).prop_map(|(d, sw)| Answer::Data(d, sw)),
        1 => prop::sample::select(vec![
            ReaderError::Removed,
            ReaderError::NotResponding,
            ReaderError::NoCard,
            ReaderError::Swapped,
            ReaderError::VerifyFailed,
            ReaderError::Unsupported("x".into()),
        ])
        .prop_map(Answer::Error),
    ]
}

#[test]
fn card_answers_never_panic_the_iso_profile() {
    let keys = keys();
    let id = CardIdentity {
        card_number: "8800010000012345".into(),
        generation: 2,
        tier: Tier::Gold,
        valid_from: NaiveDate::from_ymd_opt(2025, 1, 15).expect("date"),
        expiry: NaiveDate::from_ymd_opt(2027, 1, 31).expect("date"),
        issuing_store: "0001".into(),
    };
    let slot = encode_slot(&id, 5, &keys).expect("encodable");
    let genuine_ef = [slot, [0u8; SLOT_LEN]].concat();
    let strategy = (
        prop::collection::vec(arb_answer(genuine_ef.clone()), 0..7),
        any::<bool>(),
        0u8..3,
    );
    fuzz(
        "card_answers_iso_profile",
        strategy,
        |(script, with_le, op)| {
            let answers: VecDeque<_> = script
                .iter()
                .map(|a| match a {
                    Answer::Raw(b) => Response::parse(b).ok_or(ReaderError::Removed),
                    Answer::Data(d, sw) => Ok(Response {
                        data: d.clone(),
                        sw: *sw,
                    }),
                    Answer::Error(e) => Err(e.clone()),
                })
                .collect();
            let mut link = Scripted { answers };
            match op {
                0 => {
                    if let Ok(CardContent::Record { current, .. }) =
                        iso_card::read(&mut link, &keys)
                    {
                        // Only the genuine slot can be read as a record.
                        prop_assert_eq!(&current.identity, &id);
                        prop_assert_eq!(current.seq, 5);
                    }
                }
                1 => {
                    let expected = read_content(&genuine_ef, &keys);
                    let quirks = Quirks {
                        update_binary_with_le: with_le,
                    };
                    if let Ok(seq) = iso_card::write(&mut link, &keys, &id, &expected, quirks) {
                        prop_assert_eq!(seq, 6);
                    }
                    let blank = CardContent::Blank;
                    let _ = iso_card::write(&mut link, &keys, &id, &blank, quirks);
                }
                _ => {
                    if let Ok(uid) = iso_card::read_uid(&mut link) {
                        prop_assert!(!uid.is_empty());
                    }
                }
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------
// The in-memory card OS: arbitrary command APDUs and card images
// ---------------------------------------------------------------------------------------

struct CardLink<'a>(&'a VirtualCard);

impl Link for CardLink<'_> {
    fn transmit(&mut self, command: &Command) -> Result<Response, ReaderError> {
        Response::parse(&self.0.respond(&command.to_bytes())).ok_or(ReaderError::Removed)
    }
}

fn arb_fcp() -> impl Strategy<Value = Vec<u8>> {
    let tlv = (
        prop::sample::select(vec![0x80u8, 0x82, 0x83, 0x84, 0x88, 0x8A, 0x62, 0x00, 0xFF]),
        prop::collection::vec(any::<u8>(), 0..20),
        0u8..4,
    )
        .prop_map(|(tag, value, len_form)| {
            let mut out = vec![tag];
            match len_form {
                0 => out.push(value.len() as u8),
                1 => out.extend_from_slice(&[0x81, value.len() as u8]),
                2 => out.extend_from_slice(&[0x82, 0x00, value.len() as u8]),
                _ => out.push(value.len().wrapping_add(3) as u8),
            }
            out.extend_from_slice(&value);
            out
        });
    (prop::collection::vec(tlv, 0..6), any::<bool>()).prop_map(|(tlvs, good_len)| {
        let inner = tlvs.concat();
        let mut out = vec![0x62];
        out.push(if good_len {
            inner.len() as u8
        } else {
            inner.len().wrapping_add(1) as u8
        });
        out.extend_from_slice(&inner);
        out
    })
}

fn arb_command_apdu() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => Just(apdu::select_kiosk_app().to_bytes()),
        1 => Just(apdu::create_kiosk_df().to_bytes()),
        1 => any::<u16>().prop_map(|size| apdu::create_record_ef(size).to_bytes()),
        1 => Just(apdu::create_record_ef(RECORD_LEN as u16).to_bytes()),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(o, l)| apdu::read_record(o, l).to_bytes()),
        2 => (any::<u8>(), prop::collection::vec(any::<u8>(), 1..=255), any::<bool>())
            .prop_map(|(o, d, le)| apdu::update_record(o, &d, le).to_bytes()),
        1 => Just(apdu::get_uid().to_bytes()),
        2 => (
            prop::sample::select(vec![0x00u8, 0x80, 0xFF, 0x0C]),
            prop::sample::select(vec![0xA4u8, 0xB0, 0xD6, 0xE0, 0xCA, 0x00, 0xFF]),
            any::<u8>(),
            any::<u8>(),
            prop::option::of(arb_fcp()),
            prop::option::of(any::<u8>()),
        )
            .prop_map(|(cla, ins, p1, p2, data, le)| {
                let mut out = vec![cla, ins, p1, p2];
                if let Some(d) = data {
                    out.push(d.len() as u8);
                    out.extend_from_slice(&d);
                }
                out.extend(le);
                out
            }),
        2 => prop::collection::vec(any::<u8>(), 0..300),
    ]
}

#[test]
fn card_os_answers_any_command_apdu() {
    let keys = keys();
    let strategy = (
        any::<bool>(),
        prop::collection::vec(arb_command_apdu(), 0..14),
        prop::collection::vec((any::<usize>(), any::<u8>()), 0..4),
    );
    fuzz(
        "card_os_command_apdus",
        strategy,
        |(contactless, commands, image_edits)| {
            let card = if contactless {
                VirtualCard::contactless(&[1, 2, 3, 4])
            } else {
                VirtualCard::blank()
            };
            for c in &commands {
                let answer = card.respond(c);
                prop_assert!(answer.len() >= 2, "no status word for {:02X?}", c);
            }
            let _ = iso_card::read(&mut CardLink(&card), &keys);
            let _ = iso_card::read_uid(&mut CardLink(&card));

            // The card image: saved state loads back; an edited image never panics the loader.
            let image = card.save();
            let reloaded = VirtualCard::load(&image);
            prop_assert!(reloaded.is_some(), "a saved card does not load back");
            let mut edited = image;
            for (at, x) in &image_edits {
                if !edited.is_empty() {
                    let i = at % edited.len();
                    edited[i] ^= x | 1;
                }
            }
            if let Some(card) = VirtualCard::load(&edited) {
                let _ = iso_card::read(&mut CardLink(&card), &keys);
            }
            Ok(())
        },
    );
}

// ---------------------------------------------------------------------------------------
// Basket: decoding with the real extractor, then pricing
// ---------------------------------------------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
}

/// The body through `ApiJson`, as the HTTP layer decodes it; cross-checked with
/// `serde_json::from_slice` (the extractor may be stricter, never laxer).
fn decode<T: DeserializeOwned + Serialize>(
    rt: &tokio::runtime::Runtime,
    bytes: &[u8],
) -> Result<Option<T>, TestCaseError> {
    let request = Request::builder()
        .method("POST")
        .uri("/api/sales")
        .header("content-type", "application/json")
        .body(Body::from(bytes.to_vec()))
        .expect("a request");
    let extracted = rt.block_on(ApiJson::<T>::from_request(request, &()));
    let plain = serde_json::from_slice::<T>(bytes);
    match (extracted, plain) {
        (Ok(ApiJson(a)), Ok(b)) => {
            let (a_json, b_json) = (serde_json::to_value(&a), serde_json::to_value(&b));
            prop_assert!(a_json.is_ok(), "a decoded request does not serialize");
            prop_assert_eq!(a_json.ok(), b_json.ok());
            reached_decode();
            Ok(Some(a))
        }
        (Ok(_), Err(e)) => Err(TestCaseError::fail(format!(
            "the extractor accepted what serde_json refuses: {e}"
        ))),
        (Err(e), _) => {
            prop_assert!(
                [400u16, 422].contains(&e.status.as_u16()),
                "status {}",
                e.status
            );
            prop_assert!(!e.body.error.is_empty());
            Ok(None)
        }
    }
}

fn policies() -> Vec<Policy> {
    let charter = Policy::charter_default();
    let mut odd = charter.clone();
    odd.regular_rate.vip = Decimal::new(15, 1); // 1.5: clamped to 1
    odd.regular_rate.gold = Decimal::new(-2, 1); // -0.2: clamped to 0
    odd.regular_rate.platinum = Decimal::new(3333333, 7);
    odd.birthday_regular_rate.gold = Decimal::new(1, 28);
    odd.birthday_sale_rate = Decimal::new(7777, 4);
    odd.group_min_amount = Decimal::ZERO;
    odd.group_min_items = u32::MAX;
    odd.points_regular_step = Decimal::new(1, 2);
    odd.points_special_step = Decimal::new(3, 0);
    odd.points_per_step.platinum = 1_000;
    odd.redeem_unit_points = 1;
    odd.redeem_unit_value = Decimal::new(5, 3); // 0.005 → 0.01
    let mut group = charter.clone();
    group.group_min_amount = Decimal::new(1, 2);
    group.group_min_items = 1;
    vec![charter, odd, group]
}

#[derive(Debug, Clone)]
struct Pricing {
    policy: usize,
    member: Option<(Tier, NaiveDate, i64)>,
    today: NaiveDate,
    birthday_today: bool,
}

fn arb_pricing() -> impl Strategy<Value = Pricing> {
    (
        0usize..3,
        prop::option::of((
            prop::sample::select(Tier::ALL.to_vec()),
            date_in(1900..=2010),
            prop_oneof![
                Just(0i64),
                Just(99),
                Just(100),
                0i64..1_000_000,
                Just(i64::MAX),
                any::<i64>(),
            ],
        )),
        date_in(1970..=2100),
        any::<bool>(),
    )
        .prop_map(|(policy, member, today, birthday_today)| Pricing {
            policy,
            member,
            today,
            birthday_today,
        })
}

fn member_context(p: &Pricing) -> Option<MemberContext> {
    p.member.map(|(tier, birth, redeemable_points)| {
        let birth_date = if p.birthday_today {
            // Same month and day as today (29 February falls back to the random date).
            NaiveDate::from_ymd_opt(birth.year(), p.today.month(), p.today.day()).unwrap_or(birth)
        } else {
            birth
        };
        MemberContext {
            tier,
            birth_date: Some(birth_date),
            redeemable_points,
            earned_today: 0,
        }
    })
}

fn sum(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |a, b| a + b)
}

/// The receipt invariants of an accepted quote (R-DSC-6 and the `Quote` doc).
fn check_quote(
    q: &Quote,
    basket: &Basket,
    member: Option<&MemberContext>,
    policy: &Policy,
) -> Result<(), TestCaseError> {
    let cent = |d: Decimal| d.scale() == 2;
    prop_assert!(q.payable >= Decimal::ZERO, "payable {}", q.payable);
    for total in [
        q.gross_total,
        q.discount_total,
        q.net_total,
        q.redeem_value,
        q.payable,
    ] {
        prop_assert!(cent(total), "{} is not to the cent", total);
        prop_assert!(total >= Decimal::ZERO, "negative total {}", total);
    }
    prop_assert_eq!(q.lines.len(), basket.lines.len());
    prop_assert_eq!(sum(q.lines.iter().map(|l| l.gross)), q.gross_total);
    prop_assert_eq!(sum(q.lines.iter().map(|l| l.discount)), q.discount_total);
    prop_assert_eq!(sum(q.lines.iter().map(|l| l.net)), q.net_total);
    prop_assert_eq!(
        sum(q.lines.iter().map(|l| l.redemption_share)),
        q.redeem_value
    );
    prop_assert_eq!(sum(q.lines.iter().map(|l| l.paid)), q.payable);
    prop_assert_eq!(q.gross_total - q.discount_total, q.net_total);
    prop_assert_eq!(q.net_total - q.redeem_value, q.payable);
    for (l, b) in q.lines.iter().zip(&basket.lines) {
        for amount in [
            l.unit_price,
            l.gross,
            l.discount,
            l.net,
            l.redemption_share,
            l.paid,
        ] {
            prop_assert!(
                cent(amount),
                "line {}: {} is not to the cent",
                l.index,
                amount
            );
        }
        prop_assert_eq!(l.unit_price, b.unit_price);
        prop_assert_eq!(l.gross, b.unit_price * Decimal::from(b.quantity));
        prop_assert_eq!(l.gross - l.discount, l.net);
        prop_assert_eq!(l.net - l.redemption_share, l.paid);
        prop_assert!(l.discount >= Decimal::ZERO && l.net >= Decimal::ZERO);
        prop_assert!(l.redemption_share >= Decimal::ZERO && l.paid >= Decimal::ZERO);
        prop_assert!(l.rate >= Decimal::ZERO && l.rate <= Decimal::ONE);
        prop_assert!(l.redemption_points >= 0 && l.points_earned >= 0);
    }
    prop_assert_eq!(
        q.lines.iter().map(|l| l.redemption_points).sum::<i64>(),
        q.redeem_points
    );
    prop_assert_eq!(
        q.lines
            .iter()
            .map(|l| i128::from(l.points_earned))
            .sum::<i128>(),
        i128::from(q.points_earned)
    );
    prop_assert!(q.points_earned >= 0);
    prop_assert!(q.cash_share >= Decimal::ZERO && q.cash_share <= Decimal::ONE);
    prop_assert!(q.max_redeemable_points >= 0);
    prop_assert_eq!(q.redeem_points, basket.redeem_points);
    match member {
        None => {
            prop_assert_eq!(q.redeem_points, 0);
            prop_assert_eq!(q.discount_total, Decimal::ZERO);
            prop_assert_eq!(q.points_earned, 0);
            prop_assert!(q.lines.iter().all(|l| l.benefit == LineBenefit::None));
        }
        Some(m) => {
            prop_assert!(q.redeem_points <= m.redeemable_points.max(0));
            if q.redeem_points > 0 {
                prop_assert_eq!(q.redeem_points % policy.redeem_unit_points, 0);
            }
            if q.group_purchase {
                prop_assert_eq!(q.discount_total, Decimal::ZERO);
                prop_assert_eq!(q.points_earned, 0);
            }
        }
    }
    match check_tenders_settle(q, basket) {
        Ok(()) => {
            let tendered = sum(basket.tenders.iter().map(|t| t.amount));
            prop_assert!(
                tendered == q.payable || (basket.tenders.is_empty() && q.payable.is_zero())
            );
        }
        Err(v) => prop_assert_eq!(v.rule, "R-PAY-1"),
    }
    prop_assert!(serde_json::to_value(q).is_ok());
    Ok(())
}

/// Prices a decoded basket for a guest and for the generated member, checks every accepted
/// quote, and, for a quote without tenders, that paying its payable in cash settles it.
fn price(basket: &Basket, p: &Pricing) -> Result<(), TestCaseError> {
    let policies = policies();
    let policy = &policies[p.policy];
    let member = member_context(p);
    for who in [None, member.as_ref()] {
        let Ok(q) = quote(policy, basket, who, p.today) else {
            continue;
        };
        check_quote(&q, basket, who, policy)?;
        reached_quote();
        let cash_only = basket
            .tenders
            .iter()
            .all(|t| policy.is_cash_like(&t.kind) == Some(true));
        // Pay exactly the payable with cash-like tenders, each a valid amount: same
        // prices and points, and the tenders settle the sale.
        let chunk = Decimal::new(9_999_999_999, 2);
        if cash_only && q.payable <= chunk * Decimal::from(50) {
            let mut tenders = Vec::new();
            let mut left = q.payable;
            while left > Decimal::ZERO {
                let amount = left.min(chunk);
                let kind = if tenders.len() % 2 == 0 {
                    "cash"
                } else {
                    "bank_card"
                };
                tenders.push(Tender {
                    kind: kind.into(),
                    amount,
                });
                left -= amount;
            }
            let paid = Basket {
                tenders,
                ..basket.clone()
            };
            let again = quote(policy, &paid, who, p.today);
            prop_assert!(again.is_ok(), "paying the payable is refused: {:?}", again);
            let again = again.expect("checked");
            prop_assert_eq!(again.payable, q.payable);
            prop_assert_eq!(again.net_total, q.net_total);
            // Points follow the cash share: a partial cash tender earns less, never more.
            if basket.tenders.is_empty() {
                prop_assert_eq!(again.points_earned, q.points_earned);
            } else {
                prop_assert!(again.points_earned >= q.points_earned);
            }
            prop_assert_eq!(check_tenders_settle(&again, &paid), Ok(()));
            check_quote(&again, &paid, who, policy)?;
        }
    }
    Ok(())
}

fn check_sale(req: &SaleRequest, p: &Pricing) -> Result<(), TestCaseError> {
    let _ = check_receipt_no("receipt_no", &req.receipt_no);
    if let Some(n) = &req.card_number {
        let _ = parse_card_number(n);
    }
    prop_assert_eq!(request_hash(req).len(), 64);
    price(
        &Basket {
            lines: req.lines.clone(),
            tenders: req.tenders.clone(),
            redeem_points: req.redeem_points,
        },
        p,
    )
}

fn check_quote_request(req: &QuoteRequest, p: &Pricing) -> Result<(), TestCaseError> {
    if let Some(n) = &req.card_number {
        let _ = parse_card_number(n);
    }
    price(
        &Basket {
            lines: req.lines.clone(),
            tenders: req.tenders.clone(),
            redeem_points: req.redeem_points,
        },
        p,
    )
}

/// Decodes `bytes` as both request types and prices whatever decodes.
fn decode_and_price(
    rt: &tokio::runtime::Runtime,
    bytes: &[u8],
    p: &Pricing,
) -> Result<(bool, bool), TestCaseError> {
    let sale = decode::<SaleRequest>(rt, bytes)?;
    if let Some(req) = &sale {
        check_sale(req, p)?;
    }
    let quote_req = decode::<QuoteRequest>(rt, bytes)?;
    if let Some(req) = &quote_req {
        check_quote_request(req, p)?;
    }
    Ok((sale.is_some(), quote_req.is_some()))
}

// ---- JSON text generators (text, so numbers beyond f64 and odd literals are possible) ----

const FIELDS: [&str; 14] = [
    "receipt_no",
    "till_id",
    "card_number",
    "lines",
    "tenders",
    "redeem_points",
    "sku",
    "class",
    "unit_price",
    "quantity",
    "original_unit_price",
    "other_promotion",
    "kind",
    "amount",
];

const CLASSES: [&str; 7] = [
    "regular",
    "special_a",
    "special_b",
    "special_c",
    "sale",
    "leased",
    "campaign_special",
];

const TENDER_KINDS: [&str; 6] = [
    "cash",
    "bank_card",
    "mobile_wallet",
    "gift_voucher",
    "coupon",
    "store_credit",
];

fn json_number() -> BoxedStrategy<String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        "-?(0|[1-9][0-9]{0,40})(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,4})?",
        prop::sample::select(vec![
            "0",
            "-0",
            "0.0",
            "1e400",
            "-1e400",
            "1e-400",
            "79228162514264337593543950335",
            "79228162514264337593543950336",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "0.00000000000000000000000000001",
            "99999999.99",
            "99999999.995",
            "100000000",
            "0.005",
            "0.01",
            "4294967295",
            "4294967296",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "1.7976931348623157e308",
            "5e-324",
        ])
        .prop_map(String::from),
    ]
    .boxed()
}

fn json_string() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "[0-9.eE+_ -]{0,30}",
        prop::sample::select(vec![
            "199.00",
            "0.01",
            "-1",
            "-0.01",
            "1e5",
            "1E+2",
            "NaN",
            "inf",
            "-Infinity",
            " 1",
            "1 ",
            "1_000",
            "0x10",
            "١٢٣",
            "\u{0}",
            "9.999999999999999999999999999999",
            "79228162514264337593543950335",
            "79228162514264337593543950336",
            "0.00000000000000000000000000001",
            "99999999.99",
            "100000000.00",
            "",
        ])
        .prop_map(String::from),
        prop::sample::select(CLASSES.to_vec()).prop_map(String::from),
        prop::sample::select(TENDER_KINDS.to_vec()).prop_map(String::from),
        prop::sample::select(FIELDS.to_vec()).prop_map(String::from),
    ]
    .prop_map(|s| serde_json::to_string(&s).expect("a string serializes"))
    .boxed()
}

fn json_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS.to_vec())
            .prop_map(|s| serde_json::to_string(s).expect("a string serializes")),
        1 => json_string(),
    ]
    .boxed()
}

fn json_leaf() -> BoxedStrategy<String> {
    prop_oneof![
        Just("null".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        json_number(),
        json_string(),
    ]
    .boxed()
}

fn object(fields: &[(String, String)]) -> String {
    let body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("{{{}}}", body.join(","))
}

/// Any JSON value, nested up to 4 deep, keys mostly the request's own field names.
fn json_value() -> BoxedStrategy<String> {
    json_leaf()
        .prop_recursive(3, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((json_key(), inner), 0..8).prop_map(|fields| object(&fields)),
            ]
        })
        .boxed()
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// A field value: mostly of the right shape, sometimes anything.
fn field(good: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![40 => good, 1 => json_leaf(), 1 => json_value()].boxed()
}

fn amount_text() -> BoxedStrategy<String> {
    prop_oneof![
        6 => (0u64..100_000, 0u8..100).prop_map(|(y, f)| quoted(&format!("{y}.{f:02}"))),
        2 => (0u64..100_000_000, 0u8..100).prop_map(|(y, f)| quoted(&format!("{y}.{f:02}"))),
        1 => (0u32..10_000).prop_map(|y| y.to_string()),
        1 => json_number(),
        1 => "\"-?[0-9]{1,30}(\\.[0-9]{0,30})?\"",
    ]
    .boxed()
}

/// (key, value) pairs for an object: each required field present with a high chance, each
/// optional one sometimes, sometimes an unknown field.
fn fields_of(
    parts: Vec<(&'static str, bool, BoxedStrategy<String>)>,
) -> BoxedStrategy<Vec<(String, String)>> {
    let parts: Vec<BoxedStrategy<Option<(String, String)>>> = parts
        .into_iter()
        .map(|(name, required, value)| {
            prop::option::weighted(
                if required { 0.98 } else { 0.5 },
                value.prop_map(move |v| (quoted(name), v)),
            )
            .boxed()
        })
        .collect();
    let unknown = prop::option::weighted(0.03, (json_key(), json_leaf())).boxed();
    (parts, unknown)
        .prop_map(|(parts, unknown)| parts.into_iter().flatten().chain(unknown).collect())
        .boxed()
}

fn line_text() -> BoxedStrategy<String> {
    fields_of(vec![
        ("sku", true, field("\"SKU-[0-9A-Z]{1,8}\"".boxed())),
        (
            "class",
            true,
            field(
                prop::sample::select(CLASSES.to_vec())
                    .prop_map(quoted)
                    .boxed(),
            ),
        ),
        ("unit_price", true, field(amount_text())),
        (
            "quantity",
            true,
            field(
                prop_oneof![
                    6 => (1u32..=12).prop_map(|n| n.to_string()),
                    2 => (0u32..=10_000).prop_map(|n| n.to_string()),
                    1 => any::<u32>().prop_map(|n| n.to_string()),
                    1 => json_number(),
                ]
                .boxed(),
            ),
        ),
        ("original_unit_price", false, field(amount_text())),
        (
            "other_promotion",
            false,
            field(any::<bool>().prop_map(|b| b.to_string()).boxed()),
        ),
    ])
    .prop_map(|f| object(&f))
    .boxed()
}

fn tender_text() -> BoxedStrategy<String> {
    fields_of(vec![
        (
            "kind",
            true,
            field(
                prop_oneof![
                    6 => prop::sample::select(TENDER_KINDS.to_vec()).prop_map(quoted),
                    1 => json_string(),
                ]
                .boxed(),
            ),
        ),
        ("amount", true, field(amount_text())),
    ])
    .prop_map(|f| object(&f))
    .boxed()
}

fn array_of(item: BoxedStrategy<String>, len: std::ops::Range<usize>) -> BoxedStrategy<String> {
    prop::collection::vec(item, len)
        .prop_map(|items| format!("[{}]", items.join(",")))
        .boxed()
}

fn redeem_text() -> BoxedStrategy<String> {
    prop_oneof![
        3 => Just("0".to_string()),
        3 => (0i64..60).prop_map(|n| (n * 100).to_string()),
        1 => (0i64..100_000).prop_map(|n| n.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => json_number(),
    ]
    .boxed()
}

/// A sale / quote body: every field usually of the right shape, any of them sometimes wild.
fn request_text() -> BoxedStrategy<String> {
    fields_of(vec![
        (
            "receipt_no",
            true,
            field("\"[A-Za-z0-9/_-]{1,40}\"".boxed()),
        ),
        ("till_id", true, field("\"T[0-9]{1,2}\"".boxed())),
        ("card_number", false, field("\"[0-9]{10,20}\"".boxed())),
        (
            "lines",
            true,
            field(
                prop_oneof![
                    8 => array_of(line_text(), 0..6),
                    1 => array_of(line_text(), 20..60),
                ]
                .boxed(),
            ),
        ),
        ("tenders", true, field(array_of(tender_text(), 0..4))),
        ("redeem_points", false, field(redeem_text())),
    ])
    .prop_map(|f| object(&f))
    .boxed()
}

#[test]
fn basket_arbitrary_bytes_never_panic() {
    let rt = runtime();
    let soup = prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                "\"",
                "\\",
                "\\u",
                "null",
                "true",
                "1",
                "-",
                ".",
                "e",
                "\"lines\"",
                "\"unit_price\"",
                "\"quantity\"",
                "\u{feff}",
                " ",
            ])
            .prop_map(String::from),
            json_key(),
            json_leaf(),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat().into_bytes());
    let strategy =
        (
            prop_oneof![
                prop::collection::vec(any::<u8>(), 0..512),
                soup,
                json_value().prop_map(String::into_bytes),
                // A decodable body with junk after it (the extractor must refuse trailing data).
                (request_text(), prop::collection::vec(any::<u8>(), 1..8))
                    .prop_map(|(body, tail)| [body.into_bytes(), tail].concat()),
            ],
            arb_pricing(),
        );
    fuzz("basket_arbitrary_bytes", strategy, |(bytes, pricing)| {
        decode_and_price(&rt, &bytes, &pricing)?;
        Ok(())
    });
}

#[test]
fn basket_arbitrary_json_is_refused_or_priced() {
    let rt = runtime();
    let strategy = (
        prop_oneof![1 => json_value(), 4 => request_text()],
        arb_pricing(),
    );
    fuzz("basket_arbitrary_json", strategy, |(text, pricing)| {
        decode_and_price(&rt, text.as_bytes(), &pricing)?;
        Ok(())
    });
}

// ---- mutations of a valid sale request ----

#[derive(Debug, Clone)]
struct Line {
    sku: String,
    class: &'static str,
    unit_price: String,
    quantity: u32,
    original: Option<String>,
    promo: Option<bool>,
}

fn valid_sale() -> impl Strategy<Value = Value> {
    let line = (
        "SKU-[0-9]{1,6}",
        prop::sample::select(CLASSES.to_vec()),
        (0u64..20_000, 0u8..100),
        1u32..=12,
        prop::option::of((0u64..5_000, 0u8..100)),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(sku, class, (y, f), quantity, orig, promo)| Line {
            sku,
            class,
            unit_price: format!("{y}.{f:02}"),
            quantity,
            // A sale line's original price: at least the current one.
            original: if class == "sale" {
                Some(format!("{}.{f:02}", y + orig.map_or(0, |o| o.0)))
            } else {
                orig.map(|(oy, of)| format!("{oy}.{of:02}"))
            },
            promo,
        });
    (
        "R-[0-9]{1,10}",
        prop::collection::vec(line, 1..5),
        prop::collection::vec(
            (
                prop::sample::select(TENDER_KINDS.to_vec()),
                (1u64..20_000, 0u8..100),
            ),
            0..3,
        ),
        prop::option::of("88000100000[0-9]{5}"),
        prop::option::of((0i64..5).prop_map(|n| n * 100)),
    )
        .prop_map(|(receipt_no, lines, tenders, card, redeem)| {
            let lines: Vec<Value> = lines
                .into_iter()
                .map(|l| {
                    let mut v = json!({
                        "sku": l.sku,
                        "class": l.class,
                        "unit_price": l.unit_price,
                        "quantity": l.quantity,
                    });
                    if let Some(o) = l.original {
                        v["original_unit_price"] = json!(o);
                    }
                    if let Some(p) = l.promo {
                        v["other_promotion"] = json!(p);
                    }
                    v
                })
                .collect();
            let tenders: Vec<Value> = tenders
                .into_iter()
                .map(|(kind, (y, f))| json!({"kind": kind, "amount": format!("{y}.{f:02}")}))
                .collect();
            let mut v = json!({
                "receipt_no": receipt_no,
                "till_id": "T1",
                "lines": lines,
                "tenders": tenders,
            });
            if let Some(c) = card {
                v["card_number"] = json!(c);
            }
            if let Some(r) = redeem {
                v["redeem_points"] = json!(r);
            }
            v
        })
}

/// Where in the request a mutation applies.
#[derive(Debug, Clone, Copy)]
enum Place {
    Top,
    Line(usize),
    Tender(usize),
}

const TOP_REQUIRED: [&str; 4] = ["receipt_no", "till_id", "lines", "tenders"];
const TOP_OPTIONAL: [&str; 2] = ["card_number", "redeem_points"];
const LINE_REQUIRED: [&str; 4] = ["sku", "class", "unit_price", "quantity"];
const LINE_OPTIONAL: [&str; 2] = ["original_unit_price", "other_promotion"];
const TENDER_REQUIRED: [&str; 2] = ["kind", "amount"];

fn fields_at(place: Place) -> (&'static [&'static str], &'static [&'static str]) {
    match place {
        Place::Top => (&TOP_REQUIRED, &TOP_OPTIONAL),
        Place::Line(_) => (&LINE_REQUIRED, &LINE_OPTIONAL),
        Place::Tender(_) => (&TENDER_REQUIRED, &[]),
    }
}

#[derive(Debug, Clone)]
enum Edit {
    /// Set a known field (present or not) to any value: a changed type, an extreme number.
    Set {
        place: Place,
        field: usize,
        value: String,
    },
    /// Remove a known field: a required one must be refused.
    Drop { place: Place, field: usize },
    /// Add a field the type does not have: always refused (deny_unknown_fields).
    Unknown {
        place: Place,
        name: String,
        value: String,
    },
}

fn arb_place() -> impl Strategy<Value = Place> {
    prop_oneof![
        Just(Place::Top),
        (0usize..5).prop_map(Place::Line),
        (0usize..3).prop_map(Place::Tender),
    ]
}

fn extreme_value() -> BoxedStrategy<String> {
    prop_oneof![
        json_number(),
        amount_text(),
        prop::sample::select(vec![
            "0",
            "-1",
            "4294967295",
            "4294967296",
            "10000",
            "9999",
            "\"99999999.99\"",
            "\"100000000.00\"",
            "\"-0.01\"",
            "\"0.001\"",
            "\"79228162514264337593543950335\"",
            "9223372036854775807",
            "-9223372036854775808",
            "null",
            "[]",
            "{}",
            "\"\"",
            "true",
        ])
        .prop_map(String::from),
        json_value(),
    ]
    .boxed()
}

fn arb_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => (arb_place(), 0usize..6, extreme_value())
            .prop_map(|(place, field, value)| Edit::Set { place, field, value }),
        2 => (arb_place(), 0usize..6).prop_map(|(place, field)| Edit::Drop { place, field }),
        2 => (
            arb_place(),
            prop_oneof![
                "[a-z_]{1,16}",
                any::<String>(),
                prop::sample::select(vec!["Sku", "SKU", "unitPrice", "quantity ", "line", "tender", "id", "total", "payable", "discount"]).prop_map(String::from),
            ],
            json_leaf(),
        )
            .prop_map(|(place, name, value)| Edit::Unknown { place, name, value }),
    ]
}

fn target(root: &mut Value, place: Place) -> Option<&mut serde_json::Map<String, Value>> {
    match place {
        Place::Top => root.as_object_mut(),
        Place::Line(i) => root.get_mut("lines")?.get_mut(i)?.as_object_mut(),
        Place::Tender(i) => root.get_mut("tenders")?.get_mut(i)?.as_object_mut(),
    }
}

/// Applies the edits (value changes first, then drops and unknown fields, so a later change
/// cannot undo a refusal). Returns whether the result must be refused.
fn edit(root: &mut Value, edits: &[Edit]) -> bool {
    let mut must_refuse = false;
    let mut ordered: Vec<&Edit> = edits
        .iter()
        .filter(|e| matches!(e, Edit::Set { .. }))
        .collect();
    ordered.extend(edits.iter().filter(|e| !matches!(e, Edit::Set { .. })));
    for e in ordered {
        match e {
            Edit::Set {
                place,
                field,
                value,
            } => {
                let (req, opt) = fields_at(*place);
                let names: Vec<&str> = req.iter().chain(opt).copied().collect();
                let name = names[field % names.len()];
                let value: Value = match serde_json::from_str(value) {
                    Ok(v) => v,
                    // Beyond what a `Value` holds (1e400): keep it as a string.
                    Err(_) => Value::String(value.clone()),
                };
                if let Some(obj) = target(root, *place) {
                    obj.insert(name.to_string(), value);
                }
            }
            Edit::Drop { place, field } => {
                let (req, opt) = fields_at(*place);
                let names: Vec<&str> = req.iter().chain(opt).copied().collect();
                let name = names[field % names.len()];
                if let Some(obj) = target(root, *place) {
                    if obj.remove(name).is_some() && req.contains(&name) {
                        must_refuse = true;
                    }
                }
            }
            Edit::Unknown { place, name, value } => {
                let (req, opt) = fields_at(*place);
                if req.contains(&name.as_str()) || opt.contains(&name.as_str()) {
                    continue;
                }
                let value: Value = serde_json::from_str(value).unwrap_or(Value::Null);
                if let Some(obj) = target(root, *place) {
                    obj.insert(name.clone(), value);
                    must_refuse = true;
                }
            }
        }
    }
    must_refuse
}

#[test]
fn basket_valid_sale_decodes_and_prices() {
    let rt = runtime();
    fuzz(
        "basket_valid_sale",
        (valid_sale(), arb_pricing()),
        |(sale, pricing)| {
            let bytes = serde_json::to_vec(&sale).expect("serializes");
            let (sale_ok, quote_ok) = decode_and_price(&rt, &bytes, &pricing)?;
            prop_assert!(sale_ok, "a valid sale is refused: {}", sale);
            // A quote request has no receipt_no / till_id: refused as unknown fields.
            prop_assert!(!quote_ok);
            Ok(())
        },
    );
}

#[test]
fn basket_mutated_sale_requests() {
    let rt = runtime();
    let strategy = (
        valid_sale(),
        prop::collection::vec(arb_edit(), 1..4),
        arb_pricing(),
    );
    fuzz(
        "basket_mutated_sale",
        strategy,
        |(mut sale, edits, pricing)| {
            let must_refuse = edit(&mut sale, &edits);
            let bytes = serde_json::to_vec(&sale).expect("serializes");
            let sale_req = decode::<SaleRequest>(&rt, &bytes)?;
            if must_refuse {
                prop_assert!(sale_req.is_none(), "accepted after {:?}: {}", edits, sale);
            }
            if let Some(req) = &sale_req {
                check_sale(req, &pricing)?;
            }
            // The same body without the sale-only fields, as a quote request.
            if let Some(obj) = sale.as_object_mut() {
                obj.remove("receipt_no");
                obj.remove("till_id");
            }
            let bytes = serde_json::to_vec(&sale).expect("serializes");
            let quote_req = decode::<QuoteRequest>(&rt, &bytes)?;
            if let Some(req) = &quote_req {
                check_quote_request(req, &pricing)?;
            }
            Ok(())
        },
    );
}

#[test]
fn basket_extreme_amounts_price_to_the_cent() {
    // Straight into the domain, past serde: any Decimal (scale 0..=28, sign, 96-bit
    // mantissa) and any quantity, with tenders of any amount.
    let decimal = prop_oneof![
        12 => (0i64..10_000_000_000).prop_map(|m| Decimal::new(m, 2)),
        4 => (0i64..10_000_000, 0u32..=2).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => (any::<i64>(), 0u32..=28).prop_map(|(m, s)| Decimal::new(m, s)),
        1 => (any::<[u8; 12]>(), any::<bool>(), 0u32..=28).prop_map(|(b, neg, scale)| {
            let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            let mid = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            let hi = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
            Decimal::from_parts(lo, mid, hi, neg, scale)
        }),
        1 => Just(Decimal::MAX),
        1 => Just(Decimal::MIN),
        1 => Just(Decimal::new(9_999_999_999, 2)),
    ]
    .boxed();
    let quantity = prop_oneof![
        8 => 1u32..=12,
        1 => Just(9_999u32),
        1 => Just(10_000u32),
        1 => any::<u32>(),
    ];
    let class = prop::sample::select(vec![
        GoodsClass::Regular,
        GoodsClass::SpecialA,
        GoodsClass::SpecialB,
        GoodsClass::SpecialC,
        GoodsClass::Sale,
        GoodsClass::Leased,
        GoodsClass::CampaignSpecial,
    ]);
    let line = (
        class,
        decimal.clone(),
        quantity,
        prop::option::of(decimal.clone()),
        any::<bool>(),
    )
        .prop_map(
            |(class, unit_price, quantity, original_unit_price, other_promotion)| {
                member_kiosk::domain::basket::BasketLine {
                    sku: "SKU".into(),
                    class,
                    unit_price,
                    quantity,
                    original_unit_price,
                    other_promotion,
                }
            },
        );
    let tender =
        (prop::sample::select(TENDER_KINDS.to_vec()), decimal).prop_map(|(kind, amount)| Tender {
            kind: kind.into(),
            amount,
        });
    let strategy = (
        prop::collection::vec(line, 0..8),
        prop::collection::vec(tender, 0..3),
        prop_oneof![Just(0i64), (0i64..1000).prop_map(|n| n * 100), any::<i64>()],
        arb_pricing(),
    )
        .prop_map(|(lines, tenders, redeem_points, pricing)| {
            (
                Basket {
                    lines,
                    tenders,
                    redeem_points,
                },
                pricing,
            )
        });
    fuzz("basket_extreme_amounts", strategy, |(basket, pricing)| {
        price(&basket, &pricing)
    });
}
