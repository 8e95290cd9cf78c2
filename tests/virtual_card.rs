//! The virtual card against a loopback "vpcd": each test plays the reader driver on a TCP listener of
//! its own, sends framed control messages and APDUs, and checks the card's answers and state.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use member_kiosk::card::virtual_card::{
    Faults, InsertedCard, VirtualCard, CONTACTLESS_ATR, CONTACT_ATR, MAX_FILES, MEMORY_LIMIT,
};
use proptest::prelude::*;

const AID: [u8; 7] = [0xF0, 0x4D, 0x45, 0x4D, 0x42, 0x45, 0x52];
const SFI: u8 = 1;
const EF_SIZE: u16 = 128;

/// The test's side of the vpcd connection.
struct Vpcd {
    stream: TcpStream,
}

impl Vpcd {
    fn send(&mut self, payload: &[u8]) {
        let mut frame = (payload.len() as u16).to_be_bytes().to_vec();
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame).unwrap();
    }

    /// The next frame from the card, `None` once the card closed the socket.
    fn recv(&mut self) -> Option<Vec<u8>> {
        let mut len = [0u8; 2];
        match self.stream.read_exact(&mut len) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset
                ) =>
            {
                return None
            }
            Err(e) => panic!("reading from the card: {e}"),
        }
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.stream.read_exact(&mut payload).ok()?;
        Some(payload)
    }

    fn apdu(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.send(apdu);
        self.recv().expect("the card answered")
    }

    fn atr(&mut self) -> Vec<u8> {
        self.send(&[0x04]);
        self.recv().expect("the card sent its ATR")
    }
}

/// Inserts `card` into a fresh loopback reader.
fn plug(card: &VirtualCard) -> (InsertedCard, Vpcd) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let inserted = card.insert(&addr).unwrap();
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // Frames are small and often back to back: don't let Nagle hold them.
    stream.set_nodelay(true).unwrap();
    (inserted, Vpcd { stream })
}

fn sw(response: &[u8]) -> u16 {
    assert!(response.len() >= 2, "response too short: {response:02X?}");
    u16::from_be_bytes([response[response.len() - 2], response[response.len() - 1]])
}

fn fcp(inner: &[u8]) -> Vec<u8> {
    let mut data = vec![0x62, inner.len() as u8];
    data.extend_from_slice(inner);
    data
}

fn create(data: &[u8]) -> Vec<u8> {
    let mut apdu = vec![0x00, 0xE0, 0x00, 0x00, data.len() as u8];
    apdu.extend_from_slice(data);
    apdu
}

fn create_df(fid: u16, name: &[u8]) -> Vec<u8> {
    let [hi, lo] = fid.to_be_bytes();
    let mut inner = vec![0x82, 0x01, 0x38, 0x83, 0x02, hi, lo, 0x84, name.len() as u8];
    inner.extend_from_slice(name);
    create(&fcp(&inner))
}

fn create_ef(fid: u16, sfi: u8, size: u16) -> Vec<u8> {
    let [hi, lo] = fid.to_be_bytes();
    let [s_hi, s_lo] = size.to_be_bytes();
    create(&fcp(&[
        0x82,
        0x01,
        0x01,
        0x83,
        0x02,
        hi,
        lo,
        0x88,
        0x01,
        sfi << 3,
        0x80,
        0x02,
        s_hi,
        s_lo,
    ]))
}

fn select_aid(aid: &[u8], p2: u8) -> Vec<u8> {
    let mut apdu = vec![0x00, 0xA4, 0x04, p2, aid.len() as u8];
    apdu.extend_from_slice(aid);
    apdu
}

fn read(sfi: u8, offset: u8, le: u8) -> Vec<u8> {
    vec![0x00, 0xB0, 0x80 | sfi, offset, le]
}

fn update(sfi: u8, offset: u8, data: &[u8], with_le: bool) -> Vec<u8> {
    let mut apdu = vec![0x00, 0xD6, 0x80 | sfi, offset, data.len() as u8];
    apdu.extend_from_slice(data);
    if with_le {
        apdu.push(0x00);
    }
    apdu
}

/// A blank card personalised the way the kiosk does it: the DF named by the AID with a 128-byte EF.
fn personalised() -> VirtualCard {
    let card = VirtualCard::blank();
    assert_eq!(sw(&card.respond(&create_df(0x4D4B, &AID))), 0x9000);
    assert_eq!(sw(&card.respond(&create_ef(0x0001, SFI, EF_SIZE))), 0x9000);
    card
}

/// Waits (bounded) until the card says it left the reader.
fn wait_removed(inserted: &InsertedCard) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while inserted.is_inserted() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    !inserted.is_inserted()
}

#[test]
fn frames_the_atr_and_handles_power_control() {
    let card = personalised();
    let (inserted, mut vpcd) = plug(&card);
    // Power on gets no answer: the first frame back is the ATR asked for after it.
    vpcd.send(&[0x01]);
    vpcd.send(&[0x04]);
    let mut raw = [0u8; 2 + CONTACT_ATR.len()];
    vpcd.stream.read_exact(&mut raw).unwrap();
    assert_eq!(&raw[..2], &(CONTACT_ATR.len() as u16).to_be_bytes());
    assert_eq!(&raw[2..], &CONTACT_ATR);
    assert_eq!(CONTACT_ATR[0], 0x3B);
    // TCK: the XOR of T0 … TCK is zero.
    assert_eq!(CONTACT_ATR[1..].iter().fold(0, |x, b| x ^ b), 0);
    assert_eq!(card.atr(), CONTACT_ATR.to_vec());

    // Select the EF, then a reset drops the selection: READ BINARY by current EF needs one again.
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(sw(&vpcd.apdu(&read(SFI, 0, 1))), 0x9000);
    assert_eq!(sw(&vpcd.apdu(&[0x00, 0xB0, 0x00, 0x00, 0x01])), 0x9000);
    vpcd.send(&[0x02]);
    assert_eq!(vpcd.apdu(&[0x00, 0xB0, 0x00, 0x00, 0x01]), vec![0x69, 0x86]);
    // Power off / on likewise, and an unknown control byte is ignored without an answer.
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(sw(&vpcd.apdu(&read(SFI, 0, 1))), 0x9000);
    vpcd.send(&[0x00]);
    vpcd.send(&[0x07]);
    vpcd.send(&[0x01]);
    assert_eq!(vpcd.apdu(&[0x00, 0xB0, 0x00, 0x00, 0x01]), vec![0x69, 0x86]);
    assert_eq!(vpcd.atr(), CONTACT_ATR.to_vec());
    assert!(inserted.is_inserted());
    inserted.remove();
}

#[test]
fn selecting_a_missing_application_is_file_not_found() {
    let card = VirtualCard::blank();
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x6A, 0x82]);
    assert_eq!(
        vpcd.apdu(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x4D, 0x4B]),
        vec![0x6A, 0x82]
    );
    assert_eq!(vpcd.apdu(&read(SFI, 0, 16)), vec![0x6A, 0x82]);
    assert_eq!(vpcd.apdu(&[0x00, 0xB0, 0x00, 0x00, 0x10]), vec![0x69, 0x86]);
    // The MF itself is always there.
    assert_eq!(
        vpcd.apdu(&[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]),
        vec![0x90, 0x00]
    );
    inserted.remove();
}

#[test]
fn personalises_then_writes_and_reads_back_by_short_ef_id() {
    let card = VirtualCard::blank();
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&create_df(0x4D4B, &AID)), vec![0x90, 0x00]);
    assert_eq!(
        vpcd.apdu(&create_ef(0x0001, SFI, EF_SIZE)),
        vec![0x90, 0x00]
    );
    assert_eq!(card.ef_bytes(SFI), Some(vec![0; usize::from(EF_SIZE)]));

    // Back to the MF, then the application by its name: P2=0C answers no data, P2=04 an FCP with the name.
    assert_eq!(vpcd.apdu(&[0x00, 0xA4, 0x00, 0x0C, 0x00]), vec![0x90, 0x00]);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    let with_fcp = vpcd.apdu(&select_aid(&AID, 0x04));
    assert_eq!(sw(&with_fcp), 0x9000);
    assert_eq!(
        (with_fcp[0], usize::from(with_fcp[1])),
        (0x62, with_fcp.len() - 4)
    );
    assert!(
        with_fcp.windows(AID.len()).any(|w| w == AID),
        "FCP names the DF: {with_fcp:02X?}"
    );
    let ef_fcp = vpcd.apdu(&[0x00, 0xA4, 0x02, 0x04, 0x02, 0x00, 0x01]);
    assert!(
        ef_fcp.windows(4).any(|w| w == [0x80, 0x02, 0x00, 0x80]),
        "EF size: {ef_fcp:02X?}"
    );

    let first: Vec<u8> = (0..64).collect();
    let second: Vec<u8> = (64..128).map(|b: u8| b ^ 0xA5).collect();
    assert_eq!(
        vpcd.apdu(&update(SFI, 0, &first, false)),
        vec![0x90, 0x00],
        "case 3"
    );
    assert_eq!(
        vpcd.apdu(&update(SFI, 64, &second, true)),
        vec![0x90, 0x00],
        "case 4, Le ignored"
    );
    let all = vpcd.apdu(&read(SFI, 0, 128));
    assert_eq!(sw(&all), 0x9000);
    assert_eq!(&all[..64], &first[..]);
    assert_eq!(&all[64..128], &second[..]);
    assert_eq!(card.ef_bytes(SFI).unwrap(), all[..128].to_vec());
    // Offset addressing in the current EF (selected by the SFI read above).
    assert_eq!(
        vpcd.apdu(&[0x00, 0xB0, 0x00, 0x40, 0x02]),
        vec![second[0], second[1], 0x90, 0x00]
    );
    inserted.remove();
}

#[test]
fn create_file_rejects_clashes_bad_templates_and_overflow() {
    let card = personalised();
    // A second DF with the same name, or an EF with the same FID or SFI: file exists.
    assert_eq!(
        card.respond(&[0x00, 0xA4, 0x00, 0x0C, 0x00]),
        vec![0x90, 0x00]
    );
    assert_eq!(card.respond(&create_df(0x5000, &AID)), vec![0x6A, 0x89]);
    assert_eq!(card.respond(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(card.respond(&create_ef(0x0001, 2, 16)), vec![0x6A, 0x89]);
    assert_eq!(card.respond(&create_ef(0x0002, SFI, 16)), vec![0x6A, 0x89]);
    // Bad templates: not a 62 template, wrong length, unknown descriptor, reserved FID, no size.
    assert_eq!(
        card.respond(&create(&[0x63, 0x03, 0x82, 0x01, 0x01])),
        vec![0x6A, 0x80]
    );
    assert_eq!(
        card.respond(&create(&[0x62, 0x09, 0x82, 0x01, 0x01])),
        vec![0x6A, 0x80]
    );
    assert_eq!(
        card.respond(&create(&fcp(&[
            0x82, 0x01, 0x02, 0x83, 0x02, 0x00, 0x03, 0x80, 0x01, 0x10
        ]))),
        vec![0x6A, 0x80]
    );
    assert_eq!(
        card.respond(&create(&fcp(&[
            0x82, 0x01, 0x01, 0x83, 0x02, 0x3F, 0x00, 0x80, 0x01, 0x10
        ]))),
        vec![0x6A, 0x80]
    );
    assert_eq!(
        card.respond(&create(&fcp(&[0x82, 0x01, 0x01, 0x83, 0x02, 0x00, 0x03]))),
        vec![0x6A, 0x80]
    );
    // Memory: the EF bytes of the whole card stay within the limit.
    let left = MEMORY_LIMIT as u16 - EF_SIZE;
    assert_eq!(
        card.respond(&create_ef(0x0003, 3, left + 1)),
        vec![0x6A, 0x84]
    );
    assert_eq!(card.respond(&create_ef(0x0003, 3, left)), vec![0x90, 0x00]);
    assert_eq!(card.respond(&create_ef(0x0004, 4, 1)), vec![0x6A, 0x84]);
    // And the number of files is bounded.
    let mut answers = Vec::new();
    for fid in 0..MAX_FILES as u16 {
        answers.push(sw(&card.respond(&create(&fcp(&[
            0x82, 0x01, 0x38, 0x83, 0x02, 0x60, fid as u8,
        ])))));
    }
    assert!(answers.contains(&0x6A84), "file count limit reached");
    // Nothing was created by the refused commands: the record EF is untouched.
    assert_eq!(card.ef_bytes(SFI), Some(vec![0; usize::from(EF_SIZE)]));
}

#[test]
fn a_short_read_warns_and_a_read_past_the_end_is_refused() {
    let card = personalised();
    assert!(card.set_ef_bytes(SFI, &(0..128).collect::<Vec<u8>>()));
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    let short = vpcd.apdu(&read(SFI, 120, 16));
    assert_eq!(
        short,
        vec![120, 121, 122, 123, 124, 125, 126, 127, 0x62, 0x82]
    );
    // Le = 00 means 256: the whole file, then the warning.
    let whole = vpcd.apdu(&read(SFI, 0, 0));
    assert_eq!((whole.len(), sw(&whole)), (130, 0x6282));
    assert_eq!(vpcd.apdu(&read(SFI, 128, 1)), vec![0x6B, 0x00]);
    assert_eq!(vpcd.apdu(&[0x00, 0xB0, 0x7F, 0xFF, 0x01]), vec![0x6B, 0x00]);
    // Writes past the end are refused and leave the file as it was.
    assert_eq!(vpcd.apdu(&update(SFI, 128, &[1], false)), vec![0x6B, 0x00]);
    assert_eq!(
        vpcd.apdu(&update(SFI, 120, &[0xEE; 16], false)),
        vec![0x67, 0x00]
    );
    assert_eq!(card.ef_bytes(SFI), Some((0..128).collect()));
    inserted.remove();
}

#[test]
fn a_contactless_card_answers_its_uid_and_a_blank_card_does_not() {
    let uid = [0x04, 0xA2, 0x3B, 0x11, 0x22, 0x33, 0x80];
    let card = VirtualCard::contactless(&uid);
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.atr(), CONTACTLESS_ATR.to_vec());
    assert_eq!(CONTACTLESS_ATR[1..].iter().fold(0, |x, b| x ^ b), 0);
    let mut expected = uid.to_vec();
    expected.extend_from_slice(&[0x90, 0x00]);
    assert_eq!(vpcd.apdu(&[0xFF, 0xCA, 0x00, 0x00, 0x00]), expected);
    assert_eq!(
        vpcd.apdu(&[0xFF, 0xCA, 0x00, 0x00, 0x04]),
        vec![0x6C, 0x07],
        "Le too short"
    );
    // No application on it, and it can't be personalised.
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x6A, 0x82]);
    assert_eq!(vpcd.apdu(&create_df(0x4D4B, &AID)), vec![0x6D, 0x00]);
    inserted.remove();

    let blank = VirtualCard::blank();
    let (inserted, mut vpcd) = plug(&blank);
    assert_eq!(vpcd.apdu(&[0xFF, 0xCA, 0x00, 0x00, 0x00]), vec![0x6A, 0x81]);
    inserted.remove();
}

#[test]
fn unknown_instructions_classes_and_malformed_apdus_are_refused() {
    let card = personalised();
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&[0x00, 0x12, 0x00, 0x00]), vec![0x6D, 0x00]);
    assert_eq!(vpcd.apdu(&[0xFF, 0x00, 0x00, 0x00, 0x00]), vec![0x6D, 0x00]);
    assert_eq!(
        vpcd.apdu(&[0x80, 0xA4, 0x04, 0x0C, 0x01, 0xF0]),
        vec![0x6E, 0x00]
    );
    assert_eq!(vpcd.apdu(&[0x00, 0xA4]), vec![0x67, 0x00], "2-byte payload");
    assert_eq!(vpcd.apdu(&[]), vec![0x67, 0x00], "empty payload");
    assert_eq!(
        vpcd.apdu(&[0x00, 0xA4, 0x04, 0x0C, 0x07, 0xF0]),
        vec![0x67, 0x00],
        "Lc larger than the data"
    );
    assert_eq!(
        vpcd.apdu(&[0x00, 0xD6, 0x81, 0x00, 0x01, 0xAA, 0xBB, 0xCC]),
        vec![0x67, 0x00],
        "data past Le"
    );
    assert_eq!(
        vpcd.apdu(&[0x00, 0xB0, 0x81, 0x00]),
        vec![0x67, 0x00],
        "READ BINARY without Le"
    );
    assert_eq!(
        vpcd.apdu(&[0x00, 0xB0, 0x81, 0x00, 0x00, 0x00, 0x10]),
        vec![0x67, 0x00],
        "extended length"
    );
    assert_eq!(card.ef_bytes(SFI), Some(vec![0; usize::from(EF_SIZE)]));
    inserted.remove();
}

#[test]
fn a_truncated_frame_then_a_close_ends_the_insertion_and_the_card_goes_back_in() {
    let card = personalised();
    let (inserted, mut vpcd) = plug(&card);
    vpcd.stream.write_all(&[0x01, 0x00, 0x00, 0xA4]).unwrap(); // claims 256 bytes, sends 2
    drop(vpcd);
    assert!(
        wait_removed(&inserted),
        "the card noticed the reader closed"
    );
    inserted.remove();
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    inserted.remove();
}

#[test]
fn a_card_sits_in_one_reader_at_a_time_and_remove_is_prompt() {
    let card = VirtualCard::blank();
    let (inserted, mut vpcd) = plug(&card);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let again = card.insert(&listener.local_addr().unwrap().to_string());
    assert_eq!(
        again.map(|_| ()).unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    let started = Instant::now();
    inserted.remove();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "remove took {:?}",
        started.elapsed()
    );
    assert_eq!(vpcd.recv(), None, "the reader sees the socket close");
    let (inserted, _vpcd) = plug(&card);
    assert!(inserted.is_inserted());
    drop(inserted);
    let (inserted, _vpcd) = plug(&card);
    inserted.remove();
}

#[test]
fn a_pull_during_update_writes_exactly_the_torn_prefix_then_closes() {
    let card = personalised();
    assert!(card.set_ef_bytes(SFI, &[0xAA; 128]));
    card.set_faults(Faults {
        remove_on_update: Some((2, 5)),
        ..Faults::default()
    });
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(
        vpcd.apdu(&update(SFI, 0, &[0x11; 4], false)),
        vec![0x90, 0x00]
    );
    vpcd.send(&update(SFI, 32, &[0x55; 16], true));
    assert_eq!(vpcd.recv(), None, "no answer: the card was pulled");
    assert!(wait_removed(&inserted));
    let mut expected = vec![0xAA; 128];
    expected[..4].copy_from_slice(&[0x11; 4]);
    expected[32..37].copy_from_slice(&[0x55; 5]);
    assert_eq!(card.ef_bytes(SFI), Some(expected.clone()));
    inserted.remove();

    // The fault fired once: back in, writes go through.
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(vpcd.apdu(&update(SFI, 0, &[0x22], false)), vec![0x90, 0x00]);
    assert_eq!(vpcd.apdu(&update(SFI, 1, &[0x22], false)), vec![0x90, 0x00]);
    inserted.remove();

    // torn_bytes = 0 writes nothing; counting starts again at each insertion.
    let before = card.ef_bytes(SFI).unwrap();
    card.set_faults(Faults {
        remove_on_update: Some((1, 0)),
        ..Faults::default()
    });
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    vpcd.send(&update(SFI, 0, &[0x99; 8], false));
    assert_eq!(vpcd.recv(), None);
    assert!(wait_removed(&inserted));
    assert_eq!(card.ef_bytes(SFI), Some(before));
    inserted.remove();
}

#[test]
fn a_pull_after_a_read_answers_the_read_first() {
    let card = personalised();
    assert!(card.set_ef_bytes(SFI, &[0x42; 128]));
    card.set_faults(Faults {
        remove_after_read: Some(2),
        ..Faults::default()
    });
    let (inserted, mut vpcd) = plug(&card);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(vpcd.apdu(&read(SFI, 0, 2)), vec![0x42, 0x42, 0x90, 0x00]);
    assert!(inserted.is_inserted());
    assert_eq!(
        vpcd.apdu(&read(SFI, 2, 1)),
        vec![0x42, 0x90, 0x00],
        "the Nth read is answered"
    );
    assert_eq!(vpcd.recv(), None, "then the card is gone");
    assert!(wait_removed(&inserted));
    inserted.remove();
}

#[test]
fn a_slow_card_delays_every_answer_and_garbage_replaces_them() {
    let card = personalised();
    let (inserted, mut vpcd) = plug(&card);
    card.set_faults(Faults {
        delay: Duration::from_millis(150),
        ..Faults::default()
    });
    for _ in 0..2 {
        let started = Instant::now();
        assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "answered after {:?}",
            started.elapsed()
        );
    }
    card.set_faults(Faults {
        garbage: Some(vec![0x90]),
        ..Faults::default()
    });
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90]);
    assert_eq!(vpcd.apdu(&read(SFI, 0, 1)), vec![0x90]);
    // A very slow card still leaves promptly when removed.
    card.set_faults(Faults {
        delay: Duration::from_secs(30),
        ..Faults::default()
    });
    vpcd.send(&read(SFI, 0, 1));
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    inserted.remove();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "remove took {:?}",
        started.elapsed()
    );
}

#[test]
fn tests_can_inspect_and_change_the_card_between_operations() {
    let card = personalised();
    let same = card.clone();
    let counted = card.apdu_count();
    let (inserted, mut vpcd) = plug(&same);
    assert_eq!(
        vpcd.apdu(&update(SFI, 0, &[0x0F; 8], false)),
        vec![0x6A, 0x82],
        "no DF selected yet"
    );
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(
        vpcd.apdu(&update(SFI, 0, &[0x0F; 8], false)),
        vec![0x90, 0x00]
    );
    let mut bytes = card.ef_bytes(SFI).unwrap();
    assert_eq!(&bytes[..8], &[0x0F; 8]);
    bytes[3] ^= 0x80; // flip a bit
    assert!(card.set_ef_bytes(SFI, &bytes));
    assert_eq!(
        vpcd.apdu(&read(SFI, 0, 4)),
        vec![0x0F, 0x0F, 0x0F, 0x8F, 0x90, 0x00]
    );
    assert_eq!(card.apdu_count(), counted + 4);
    assert!(!card.set_ef_bytes(9, &[1]), "no EF with SFI 9");
    assert!(!card.set_ef_bytes(SFI, &vec![0; MEMORY_LIMIT + 1]));
    assert_eq!(card.ef_bytes(9), None);
    // Replacing the content resizes the EF.
    assert!(card.set_ef_bytes(SFI, &[1, 2, 3]));
    assert_eq!(vpcd.apdu(&read(SFI, 0, 4)), vec![1, 2, 3, 0x62, 0x82]);
    inserted.remove();
}

#[test]
fn a_saved_card_loads_back_the_same() {
    let card = personalised();
    let content: Vec<u8> = (0..128).map(|i: u8| i.wrapping_mul(7)).collect();
    assert!(card.set_ef_bytes(SFI, &content));
    let saved = card.save();
    let loaded = VirtualCard::load(&saved).expect("a saved card loads");
    assert_eq!(loaded.ef_bytes(SFI), Some(content.clone()));
    assert_eq!(loaded.save(), saved);
    assert_eq!(loaded.atr(), CONTACT_ATR.to_vec());
    // The loaded card is a different card: writing one leaves the other.
    let (inserted, mut vpcd) = plug(&loaded);
    assert_eq!(vpcd.apdu(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(vpcd.apdu(&update(SFI, 0, &[0xFF], false)), vec![0x90, 0x00]);
    inserted.remove();
    assert_eq!(card.ef_bytes(SFI), Some(content));

    let uid = [1, 2, 3, 4];
    let tag = VirtualCard::load(&VirtualCard::contactless(&uid).save()).unwrap();
    assert_eq!(
        tag.respond(&[0xFF, 0xCA, 0x00, 0x00, 0x00]),
        vec![1, 2, 3, 4, 0x90, 0x00]
    );
    assert_eq!(tag.atr(), CONTACTLESS_ATR.to_vec());

    assert!(VirtualCard::load(b"not json").is_none());
    assert!(VirtualCard::load(b"{}").is_none());
    let text = String::from_utf8(saved).unwrap();
    assert!(
        VirtualCard::load(text.replace("\"fid\": 1,", "\"fid\": 16128,").as_bytes()).is_none(),
        "reserved FID"
    );
}

#[test]
fn respond_applies_the_faults_without_a_reader() {
    let card = personalised();
    card.set_faults(Faults {
        remove_on_update: Some((1, 3)),
        ..Faults::default()
    });
    assert_eq!(card.respond(&select_aid(&AID, 0x0C)), vec![0x90, 0x00]);
    assert_eq!(
        card.respond(&update(SFI, 0, &[7; 8], false)),
        Vec::<u8>::new(),
        "pulled: empty answer"
    );
    assert_eq!(card.ef_bytes(SFI).unwrap()[..8], [7, 7, 7, 0, 0, 0, 0, 0]);
    assert_eq!(
        card.respond(&update(SFI, 0, &[7; 8], false)),
        vec![0x90, 0x00],
        "fired once"
    );
}

/// An arbitrary payload: control bytes, APDU-shaped commands for the card's instructions, or raw noise.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let ins = prop::sample::select(vec![0xA4u8, 0xB0, 0xD6, 0xE0, 0xCA, 0x00, 0xFF]);
    let cla = prop::sample::select(vec![0x00u8, 0xFF, 0x80, 0x0C]);
    prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        (
            cla,
            ins,
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..270)
        )
            .prop_map(|(cla, ins, p1, p2, body)| {
                let mut apdu = vec![cla, ins, p1, p2];
                apdu.extend(body);
                apdu
            }),
        prop::collection::vec(any::<u8>(), 0..600),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_frames_get_well_formed_answers_and_never_kill_the_card(frames in prop::collection::vec(payload(), 1..40)) {
        let card = personalised();
        let (inserted, mut vpcd) = plug(&card);
        for frame in &frames {
            vpcd.send(frame);
            match frame[..] {
                [0x04] => prop_assert_eq!(vpcd.recv(), Some(CONTACT_ATR.to_vec())),
                [_] => {}
                _ => {
                    let answer = vpcd.recv();
                    prop_assert!(answer.as_ref().is_some_and(|a| a.len() >= 2), "answer {:02X?}", answer);
                }
            }
        }
        // Still alive and consistent afterwards.
        prop_assert_eq!(vpcd.apdu(&[0x00, 0xA4, 0x00, 0x0C, 0x00]), vec![0x90, 0x00]);
        prop_assert!(inserted.is_inserted());
        inserted.remove();
        prop_assert!(VirtualCard::load(&card.save()).is_some(), "whatever was created still saves and loads");
    }
}
