//! The member-card record format and the issuer keyring: the slot layout byte by byte, the
//! two-slot verdict (anti-tearing), forgery and corruption, key rotation and the key file.

use chrono::NaiveDate;
use hmac::{Hmac, Mac};
use member_kiosk::card::keys::{KeyError, Keyring};
use member_kiosk::card::record::{
    decode_slot, encode_slot, next_write, read_content, CardContent, CardIdentity, Damage,
    RecordError, Slot, SlotState, FORMAT_VERSION, RECORD_LEN, SLOT_LEN,
};
use member_kiosk::domain::Tier;
use proptest::prelude::*;
use sha2::Sha256;

const SECRET: [u8; 32] = [7u8; 32];

fn keys() -> Keyring {
    Keyring::single(1, SECRET)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test date")
}

fn identity() -> CardIdentity {
    CardIdentity {
        card_number: "8800010000012345".into(),
        generation: 2,
        tier: Tier::Gold,
        valid_from: date(2025, 1, 15),
        expiry: date(2027, 1, 31),
        issuing_store: "0001".into(),
    }
}

fn slot(identity: &CardIdentity, seq: u32, keys: &Keyring) -> [u8; SLOT_LEN] {
    encode_slot(identity, seq, keys).expect("encodable identity")
}

fn ef(slot0: &[u8], slot1: &[u8]) -> Vec<u8> {
    [slot0, slot1].concat()
}

/// Re-computes the CRC and the MAC of a slot the way the kiosk would, so a test can build a
/// slot that passes both checks but carries whatever fields it likes.
fn resign(bytes: &mut [u8; SLOT_LEN], keys: &Keyring) {
    let crc = crc32fast::hash(&bytes[..44]);
    bytes[44..48].copy_from_slice(&crc.to_be_bytes());
    let number = hex::encode(&bytes[8..18]);
    let key = keys
        .card_key(bytes[3], number.trim_end_matches('f'))
        .expect("known key id");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(&bytes[..48]);
    bytes[48..64].copy_from_slice(&mac.finalize().into_bytes()[..16]);
}

fn valid(state: SlotState) -> Slot {
    match state {
        SlotState::Valid(slot) => slot,
        other => panic!("expected a valid slot, got {other:?}"),
    }
}

// ---- layout and round trip ----

#[test]
fn a_slot_round_trips_and_has_the_documented_layout() {
    let keys = keys();
    let id = identity();
    let bytes = slot(&id, 0x0102_0304, &keys);
    assert_eq!(bytes.len(), SLOT_LEN);
    assert_eq!(RECORD_LEN, 128);

    assert_eq!(&bytes[0..2], b"MK");
    assert_eq!(bytes[2], FORMAT_VERSION);
    assert_eq!(bytes[2], 1);
    assert_eq!(bytes[3], 1, "key id");
    assert_eq!(&bytes[4..8], &[0x01, 0x02, 0x03, 0x04], "seq big-endian");
    assert_eq!(
        &bytes[8..18],
        &[0x88, 0x00, 0x01, 0x00, 0x00, 0x01, 0x23, 0x45, 0xFF, 0xFF],
        "card number BCD, 0xF padded"
    );
    assert_eq!(&bytes[18..20], &[0x00, 0x02], "generation");
    assert_eq!(bytes[20], 2, "tier gold");
    assert_eq!(&bytes[21..25], &20250115u32.to_be_bytes(), "valid from");
    assert_eq!(&bytes[25..29], &20270131u32.to_be_bytes(), "expiry");
    assert_eq!(&bytes[29..31], &[0x00, 0x01], "issuing store BCD");
    assert!(bytes[31..44].iter().all(|&b| b == 0), "padding");
    assert_eq!(
        &bytes[44..48],
        &crc32fast::hash(&bytes[..44]).to_be_bytes(),
        "CRC-32 over 0..44, big-endian"
    );

    // The MAC, recomputed from the documented derivation.
    let mut card_key = Hmac::<Sha256>::new_from_slice(&SECRET).unwrap();
    card_key.update(b"member-card-v1");
    card_key.update(id.card_number.as_bytes());
    let card_key = card_key.finalize().into_bytes();
    assert_eq!(
        keys.card_key(1, &id.card_number).unwrap(),
        card_key.as_slice()
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&card_key).unwrap();
    mac.update(&bytes[..48]);
    assert_eq!(&bytes[48..64], &mac.finalize().into_bytes()[..16]);

    let decoded = valid(decode_slot(&bytes, &keys));
    assert_eq!(decoded.seq, 0x0102_0304);
    assert_eq!(decoded.key_id, 1);
    assert_eq!(decoded.identity, id);
}

#[test]
fn a_nineteen_digit_number_ends_in_one_padding_nibble() {
    let keys = keys();
    let id = CardIdentity {
        card_number: "1234567890123456789".into(),
        tier: Tier::Platinum,
        issuing_store: "9876".into(),
        ..identity()
    };
    let bytes = slot(&id, 1, &keys);
    assert_eq!(
        &bytes[8..18],
        &[0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x78, 0x9F]
    );
    assert_eq!(bytes[20], 3);
    assert_eq!(&bytes[29..31], &[0x98, 0x76]);
    assert_eq!(valid(decode_slot(&bytes, &keys)).identity, id);
}

#[test]
fn identities_that_do_not_fit_are_refused_by_field() {
    let keys = keys();
    let cases = [
        (
            CardIdentity {
                card_number: "88000100000123456789".into(),
                ..identity()
            },
            RecordError::CardNumber,
        ),
        (
            CardIdentity {
                card_number: "88000100A0012345".into(),
                ..identity()
            },
            RecordError::CardNumber,
        ),
        (
            CardIdentity {
                card_number: String::new(),
                ..identity()
            },
            RecordError::CardNumber,
        ),
        (
            CardIdentity {
                issuing_store: "12345".into(),
                ..identity()
            },
            RecordError::IssuingStore,
        ),
        (
            CardIdentity {
                issuing_store: "S001".into(),
                ..identity()
            },
            RecordError::IssuingStore,
        ),
        (
            CardIdentity {
                generation: 70_000,
                ..identity()
            },
            RecordError::Generation(70_000),
        ),
        (
            CardIdentity {
                expiry: date(10_000, 1, 1),
                ..identity()
            },
            RecordError::Date { field: "expiry" },
        ),
    ];
    for (id, want) in cases {
        assert_eq!(encode_slot(&id, 1, &keys).unwrap_err(), want, "{id:?}");
    }
    assert_eq!(
        encode_slot(&identity(), 0, &keys).unwrap_err(),
        RecordError::SeqExhausted
    );
}

// ---- two slots, anti-tearing ----

#[test]
fn the_valid_slot_with_the_highest_seq_wins() {
    let keys = keys();
    let old = slot(&identity(), 5, &keys);
    let new_id = CardIdentity {
        tier: Tier::Platinum,
        ..identity()
    };
    let new = slot(&new_id, 6, &keys);

    for (bytes, want_slot) in [(ef(&old, &new), 1), (ef(&new, &old), 0)] {
        let content = read_content(&bytes, &keys);
        match &content {
            CardContent::Record {
                slot,
                current,
                other,
            } => {
                assert_eq!(*slot, want_slot);
                assert_eq!(current.seq, 6);
                assert_eq!(current.identity, new_id);
                assert_eq!(valid(other.clone()).seq, 5);
            }
            other => panic!("expected a record, got {other:?}"),
        }
        assert_eq!(next_write(&content), (1 - want_slot, 7));
    }
}

#[test]
fn a_torn_write_leaves_the_old_slot_current() {
    let keys = keys();
    let old = slot(&identity(), 3, &keys);
    let new = slot(
        &CardIdentity {
            generation: 3,
            ..identity()
        },
        4,
        &keys,
    );
    // Pulled halfway: the new slot's first bytes over an erased (0xFF) EF, or over the
    // previous content of that slot.
    let mut half_on_erased = [0xFFu8; SLOT_LEN];
    half_on_erased[..32].copy_from_slice(&new[..32]);
    let older = slot(&identity(), 2, &keys);
    let mut half_on_older = older;
    half_on_older[..40].copy_from_slice(&new[..40]);
    let mut noise = [0u8; SLOT_LEN];
    let mut x = 0x2545_F491_u32;
    for b in &mut noise {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }

    for (torn, damage) in [
        (half_on_erased, Damage::BadCrc),
        (half_on_older, Damage::BadCrc),
        (noise, Damage::BadFormat),
    ] {
        for (bytes, old_at) in [(ef(&old, &torn), 0), (ef(&torn, &old), 1)] {
            let content = read_content(&bytes, &keys);
            assert_eq!(
                content,
                CardContent::Record {
                    slot: old_at,
                    current: valid(decode_slot(&old, &keys)),
                    other: SlotState::Damaged(damage),
                }
            );
            // The retry goes over the torn slot, never over the one still good.
            assert_eq!(next_write(&content), (1 - old_at, 4));
        }
    }
}

#[test]
fn next_write_never_targets_the_current_slot() {
    let keys = keys();
    let empty = [0u8; SLOT_LEN];
    let mut card = ef(&empty, &empty);
    let mut last_seq = 0;
    for _ in 0..6 {
        let content = read_content(&card, &keys);
        let (target, seq) = next_write(&content);
        if let CardContent::Record { slot, current, .. } = &content {
            assert_ne!(target, *slot);
            assert_eq!(current.seq, last_seq);
        } else {
            assert_eq!((target, seq), (0, 1));
        }
        assert_eq!(seq, last_seq + 1);
        card[target * SLOT_LEN..(target + 1) * SLOT_LEN].copy_from_slice(&slot(
            &identity(),
            seq,
            &keys,
        ));
        last_seq = seq;
    }
    for content in [
        CardContent::Blank,
        CardContent::Forged(Damage::BadMac),
        CardContent::Corrupted(Damage::BadCrc),
    ] {
        assert_eq!(next_write(&content), (0, 1));
    }
}

#[test]
fn a_worn_out_seq_counter_is_refused_not_wrapped() {
    let keys = keys();
    let bytes = ef(&slot(&identity(), u32::MAX, &keys), &[0u8; SLOT_LEN]);
    let (target, seq) = next_write(&read_content(&bytes, &keys));
    assert_eq!(target, 1);
    assert_eq!(
        encode_slot(&identity(), seq, &keys).unwrap_err(),
        RecordError::SeqExhausted
    );
}

// ---- corruption and forgery ----

#[test]
fn a_flipped_bit_before_the_mac_is_corruption() {
    let keys = keys();
    let good = slot(&identity(), 9, &keys);
    for bit in 0..48 * 8 {
        let mut bytes = good;
        bytes[bit / 8] ^= 1 << (bit % 8);
        // Magic and version are checked before the CRC: not a record of this format.
        let want = if bit / 8 < 3 {
            Damage::BadFormat
        } else {
            Damage::BadCrc
        };
        assert_eq!(
            decode_slot(&bytes, &keys),
            SlotState::Damaged(want),
            "bit {bit}"
        );
        assert_eq!(
            read_content(&ef(&bytes, &[0xFF; SLOT_LEN]), &keys),
            CardContent::Corrupted(want),
            "bit {bit}"
        );
    }
}

#[test]
fn a_flipped_bit_in_the_mac_is_forgery() {
    let keys = keys();
    let good = slot(&identity(), 9, &keys);
    for bit in 48 * 8..SLOT_LEN * 8 {
        let mut bytes = good;
        bytes[bit / 8] ^= 1 << (bit % 8);
        assert_eq!(
            decode_slot(&bytes, &keys),
            SlotState::Damaged(Damage::BadMac),
            "bit {bit}"
        );
        assert_eq!(
            read_content(&ef(&[0u8; SLOT_LEN], &bytes), &keys),
            CardContent::Forged(Damage::BadMac)
        );
    }
}

#[test]
fn a_record_signed_by_another_issuer_is_forged() {
    let ours = keys();
    let theirs = Keyring::single(1, [8u8; 32]);
    let bytes = slot(&identity(), 1, &theirs);
    assert_eq!(
        read_content(&ef(&bytes, &[0u8; SLOT_LEN]), &ours),
        CardContent::Forged(Damage::BadMac)
    );
    // A forged slot outweighs a torn one beside it.
    let mut torn = slot(&identity(), 2, &ours);
    torn[30] ^= 0x10;
    assert_eq!(
        read_content(&ef(&torn, &bytes), &ours),
        CardContent::Forged(Damage::BadMac)
    );
}

#[test]
fn a_slot_copied_onto_another_card_number_fails_its_mac() {
    // The MAC key is per card: changing the number (with a correct CRC) breaks the MAC.
    let keys = keys();
    let mut bytes = slot(&identity(), 1, &keys);
    bytes[15] = 0x46; // ...012345 → ...012346
    let crc = crc32fast::hash(&bytes[..44]);
    bytes[44..48].copy_from_slice(&crc.to_be_bytes());
    assert_eq!(
        decode_slot(&bytes, &keys),
        SlotState::Damaged(Damage::BadMac)
    );
}

#[test]
fn an_unknown_key_id_is_forged() {
    let ours = keys();
    let bytes = slot(&identity(), 1, &Keyring::single(9, SECRET));
    assert_eq!(bytes[3], 9);
    assert_eq!(
        decode_slot(&bytes, &ours),
        SlotState::Damaged(Damage::UnknownKey)
    );
    assert_eq!(
        read_content(&ef(&[0xFF; SLOT_LEN], &bytes), &ours),
        CardContent::Forged(Damage::UnknownKey)
    );
}

#[test]
fn blank_cards_read_as_blank() {
    let keys = keys();
    for (a, b) in [(0x00, 0x00), (0xFF, 0xFF), (0x00, 0xFF), (0xFF, 0x00)] {
        assert_eq!(
            read_content(&ef(&[a; SLOT_LEN], &[b; SLOT_LEN]), &keys),
            CardContent::Blank
        );
    }
    assert_eq!(decode_slot(&[0u8; SLOT_LEN], &keys), SlotState::Empty);
}

#[test]
fn short_reads_and_wrong_lengths_are_bad_format() {
    let keys = keys();
    let good = slot(&identity(), 1, &keys);
    assert_eq!(
        read_content(&good, &keys),
        CardContent::Corrupted(Damage::BadFormat)
    );
    assert_eq!(
        decode_slot(&good[..63], &keys),
        SlotState::Damaged(Damage::BadFormat)
    );
    // A longer read (an EF bigger than the record) is cut to the two slots.
    let mut long = ef(&good, &[0u8; SLOT_LEN]);
    long.extend_from_slice(&[0xAB; 16]);
    assert!(matches!(
        read_content(&long, &keys),
        CardContent::Record { slot: 0, .. }
    ));
}

/// One change to a slot's bytes.
type Edit = fn(&mut [u8; SLOT_LEN]);

#[test]
fn signed_fields_that_do_not_parse_are_bad_format() {
    let keys = keys();
    let good = slot(&identity(), 1, &keys);
    let edits: [(&str, Edit); 6] = [
        ("tier 4", |b| b[20] = 4),
        ("month 13", |b| {
            b[21..25].copy_from_slice(&20251301u32.to_be_bytes())
        }),
        ("digit after padding", |b| b[17] = 0xF1),
        ("nibble 0xA in number", |b| b[8] = 0xA8),
        ("store of 3 digits", |b| b[30] = 0x1F),
        ("padding not zero", |b| b[40] = 1),
    ];
    for (what, edit) in edits {
        let mut bytes = good;
        edit(&mut bytes);
        resign(&mut bytes, &keys);
        assert_eq!(
            decode_slot(&bytes, &keys),
            SlotState::Damaged(Damage::BadFormat),
            "{what}"
        );
    }
    // The same re-signing leaves a good slot valid, so the edits are what fails.
    let mut bytes = good;
    resign(&mut bytes, &keys);
    assert_eq!(bytes, good);
}

// ---- keys ----

fn key_hexes(path: &std::path::Path) -> Vec<String> {
    let file: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["keys"]
        .as_table()
        .unwrap()
        .values()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn load_or_create_makes_a_private_random_key_file_and_reloads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("etc/kiosk/issuer-keys.toml");
    let created = Keyring::load_or_create(&path).unwrap();
    assert_eq!(created.current_id(), 1);
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    let hexes = key_hexes(&path);
    assert_eq!(hexes.len(), 1);
    assert_eq!(hexes[0].len(), 64);
    assert_ne!(hexes[0], hex::encode(SECRET));

    let reloaded = Keyring::load_or_create(&path).unwrap();
    assert_eq!(
        slot(&identity(), 1, &created),
        slot(&identity(), 1, &reloaded)
    );
    assert_eq!(
        slot(&identity(), 1, &Keyring::load(&path).unwrap()),
        slot(&identity(), 1, &created)
    );

    // Another kiosk's first run draws another key.
    let other = Keyring::load_or_create(&dir.path().join("other.toml")).unwrap();
    assert_ne!(slot(&identity(), 1, &created), slot(&identity(), 1, &other));

    let debug = format!("{created:?} {reloaded:#?}");
    assert!(debug.contains("current"), "{debug}");
    assert!(debug.contains("ids"), "{debug}");
    for h in &hexes {
        // Neither as hex nor as the byte list a derived Debug would print.
        let bytes = hex::decode(h).unwrap();
        let listed = format!("{:?}", &bytes[..4]);
        assert!(!debug.to_lowercase().contains(&h[..16]), "{debug}");
        assert!(!debug.contains(listed.trim_end_matches(']')), "{debug}");
    }
}

#[test]
fn a_rotated_keyring_still_reads_old_cards_and_signs_with_the_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let mut keys = Keyring::load_or_create(&path).unwrap();
    let old = slot(&identity(), 1, &keys);
    assert_eq!(old[3], 1);

    assert_eq!(keys.rotate(&path).unwrap(), 2);
    assert_eq!(keys.current_id(), 2);
    let new = slot(&identity(), 2, &keys);
    assert_eq!(new[3], 2, "new writes use key 2");
    #[cfg(unix)]
    assert_eq!(mode(&path), 0o600);

    for keys in [keys.clone(), Keyring::load(&path).unwrap()] {
        assert_eq!(keys.current_id(), 2);
        assert_eq!(valid(decode_slot(&old, &keys)).key_id, 1);
        match read_content(&ef(&old, &new), &keys) {
            CardContent::Record { slot, current, .. } => {
                assert_eq!((slot, current.seq, current.key_id), (1, 2, 2));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(key_hexes(&path).len(), 2);
    // A kiosk that only has the old key cannot verify the new writes.
    let before = Keyring::single(1, [0u8; 32]);
    assert_eq!(
        decode_slot(&new, &before),
        SlotState::Damaged(Damage::UnknownKey)
    );
}

#[test]
fn key_files_that_do_not_hold_the_current_key_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let key = "ab".repeat(32);
    let write = |text: &str| std::fs::write(&path, text).unwrap();

    write(&format!("current = 2\n[keys]\n\"1\" = \"{key}\"\n"));
    assert!(matches!(
        Keyring::load(&path),
        Err(KeyError::NoCurrentKey { current: 2 })
    ));

    write(&format!(
        "current = 1\n[keys]\n\"1\" = \"{}\"\n",
        &key[..62]
    ));
    assert!(matches!(
        Keyring::load(&path),
        Err(KeyError::BadKey { id: 1 })
    ));

    write(&format!("current = 1\n[keys]\n\"one\" = \"{key}\"\n"));
    assert!(matches!(Keyring::load(&path), Err(KeyError::BadKeyId)));

    // A syntax error quotes neither the line nor the key.
    write(&format!("current = 1\n[keys]\n\"1\" = {key}\n"));
    let err = Keyring::load(&path).unwrap_err();
    assert!(matches!(err, KeyError::Syntax { line: Some(3) }), "{err:?}");
    assert!(!err.to_string().contains("abab"), "{err}");

    write(&format!("current = 1\n[keys]\n\"1\" = \"{key}\"\n"));
    assert_eq!(Keyring::load(&path).unwrap().current_id(), 1);

    assert!(matches!(
        Keyring::load(&dir.path().join("missing.toml")),
        Err(KeyError::Io { .. })
    ));
}

#[test]
fn the_env_key_is_64_hex_characters() {
    let key = "0f".repeat(32);
    let keys = Keyring::from_env_value(&format!(" {key}\n"), 3).unwrap();
    assert_eq!(keys.current_id(), 3);
    assert_eq!(
        slot(&identity(), 1, &keys),
        slot(&identity(), 1, &Keyring::single(3, [0x0f; 32]))
    );
    for bad in [&key[..63], &key[..62], "zz".repeat(32).as_str(), ""] {
        let err = Keyring::from_env_value(bad, 1).unwrap_err();
        assert!(matches!(err, KeyError::BadEnvKey));
        assert!(bad.is_empty() || !err.to_string().contains(bad));
    }
}

// ---- properties ----

fn arb_identity() -> impl Strategy<Value = CardIdentity> {
    (
        "[0-9]{12,19}",
        0u32..=65_535,
        prop::sample::select(Tier::ALL.to_vec()),
        (2000i32..2100, 1u32..=365),
        (2000i32..2100, 1u32..=365),
        "[0-9]{4}",
    )
        .prop_map(
            |(card_number, generation, tier, from, to, store)| CardIdentity {
                card_number,
                generation,
                tier,
                valid_from: NaiveDate::from_yo_opt(from.0, from.1).unwrap(),
                expiry: NaiveDate::from_yo_opt(to.0, to.1).unwrap(),
                issuing_store: store,
            },
        )
}

proptest! {
    #[test]
    fn encode_then_decode_gives_the_identity_back(
        id in arb_identity(),
        seq in 1u32..=u32::MAX,
        key_id in any::<u8>(),
    ) {
        let keys = Keyring::single(key_id, SECRET);
        let bytes = encode_slot(&id, seq, &keys).unwrap();
        prop_assert_eq!(
            decode_slot(&bytes, &keys),
            SlotState::Valid(Slot { seq, key_id, identity: id })
        );
        let content = read_content(&ef(&[0xFF; SLOT_LEN], &bytes), &keys);
        let second_slot = matches!(
            content,
            CardContent::Record { slot: 1, other: SlotState::Empty, .. }
        );
        prop_assert!(second_slot, "{:?}", content);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let keys = keys();
        let _ = decode_slot(&bytes, &keys);
        let content = read_content(&bytes, &keys);
        let _ = next_write(&content);
        if bytes.len() < RECORD_LEN {
            prop_assert_eq!(content, CardContent::Corrupted(Damage::BadFormat));
        }
    }

    #[test]
    fn signed_garbage_fields_never_panic(
        fields in prop::collection::vec(any::<u8>(), 40),
        key_id in 0u8..2,
    ) {
        // Magic, version and a known key id, with arbitrary fields and valid CRC and MAC:
        // reaches the field parser.
        let keys = keys();
        let mut bytes = [0u8; SLOT_LEN];
        bytes[..4].copy_from_slice(&[b'M', b'K', 1, key_id]);
        bytes[4..44].copy_from_slice(&fields);
        if key_id == 1 {
            resign(&mut bytes, &keys);
        }
        let _ = decode_slot(&bytes, &keys);
        let _ = read_content(&ef(&bytes, &bytes), &keys);
    }
}
