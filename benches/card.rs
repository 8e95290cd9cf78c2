//! Card reader benchmark (`cargo bench --bench card`, as root): over a private pcscd with
//! the vpcd reader and the kiosk's virtual card, prints card read+verify latency (median,
//! p99) and APDUs per read and per issue, next to the raw APDU round trip of the same reader
//! as the floor. Targets: a read is ≤ 3 APDU round trips and within 1.5× of the floor
//! (the same number of raw round trips). BENCH_CARD_READS sets the sample size.

use std::ffi::CString;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use member_kiosk::card::apdu;
use member_kiosk::card::keys::Keyring;
use member_kiosk::card::pcsc_reader::{PcscReader, Profile, ReaderConfig};
use member_kiosk::card::private_pcscd::Pcscd;
use member_kiosk::card::reader::{CardReader, CardSeen};
use member_kiosk::card::record::{CardContent, CardIdentity};
use member_kiosk::card::virtual_card::VirtualCard;
use member_kiosk::domain::Tier;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len().saturating_sub(1)) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let reads: usize = std::env::var("BENCH_CARD_READS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::tempdir().expect("temp dir");
    let pcscd = Pcscd::start_in(dir.path(), 0x9F00).unwrap_or_else(|e| panic!("{e}"));
    // Set before the first PC/SC call of this process (the library reads it once).
    unsafe { std::env::set_var("PCSCLITE_CSOCK_NAME", pcscd.socket()) };
    let card = VirtualCard::blank();
    let _inserted = card.insert(&pcscd.card_addr(0)).expect("card inserted");
    std::thread::sleep(Duration::from_millis(1000)); // pcscd polls about every 400 ms

    let config = ReaderConfig {
        name: pcscd.reader(0),
        workstation: "lounge".into(),
        profile: Profile::Iso7816,
        update_binary_with_le: false,
    };
    let reader = PcscReader::new(vec![config.clone()], Arc::new(Keyring::single(1, [9; 32])));
    let identity = CardIdentity {
        card_number: "880001000000011".into(),
        generation: 1,
        tier: Tier::Gold,
        valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        expiry: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default(),
        issuing_store: "0001".into(),
    };
    let issued = reader
        .write("lounge", &identity, &CardSeen::Iso(CardContent::Blank))
        .expect("issue");
    let rewrite_expect = reader.read("lounge").expect("read").seen;
    let rewritten = reader
        .write("lounge", &identity, &rewrite_expect)
        .expect("rewrite");

    // Read + verify, warm connection (the kiosk keeps it while the card stays in).
    let mut times = Vec::with_capacity(reads);
    let mut apdus = 0;
    for _ in 0..reads {
        let t = Instant::now();
        let read = reader.read("lounge").expect("read");
        times.push(t.elapsed());
        apdus = read.apdus;
        assert!(matches!(
            read.seen,
            CardSeen::Iso(CardContent::Record { .. })
        ));
    }
    times.sort();

    // The floor: one raw APDU round trip on a connection of its own to the same reader.
    let context = pcsc::Context::establish(pcsc::Scope::User).expect("context");
    let name = CString::new(config.name.clone()).expect("name");
    let raw = context
        .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .expect("connect");
    let select = apdu::select_kiosk_app().to_bytes();
    let mut buffer = [0u8; pcsc::MAX_BUFFER_SIZE];
    let mut floor = Vec::with_capacity(reads);
    for _ in 0..reads {
        let t = Instant::now();
        raw.transmit(&select, &mut buffer).expect("raw transmit");
        floor.push(t.elapsed());
    }
    floor.sort();

    let floor_read = percentile(&floor, 0.5) * apdus;
    println!("card reader benchmark — pcscd + vpcd + virtual card, {reads} samples");
    println!(
        "raw APDU round trip (floor)   p50 {:.3} ms  p99 {:.3} ms",
        ms(percentile(&floor, 0.5)),
        ms(percentile(&floor, 0.99))
    );
    println!(
        "card read + verify            p50 {:.3} ms  p99 {:.3} ms",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99))
    );
    println!(
        "APDUs per read {apdus} (target <= 3: {})",
        if apdus <= 3 { "met" } else { "MISSED" }
    );
    println!(
        "APDUs per issue (blank card) {}, per rewrite {}",
        issued.apdus, rewritten.apdus
    );
    let ratio = percentile(&times, 0.5).as_secs_f64() / floor_read.as_secs_f64();
    println!(
        "read p50 / ({apdus} raw round trips) = {ratio:.2} (target <= 1.5: {})",
        if ratio <= 1.5 { "met" } else { "MISSED" }
    );
}
