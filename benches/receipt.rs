//! Receipt rendering benchmark (`cargo bench --bench receipt`): renders an 80 mm Chinese sale
//! receipt with 20 item lines (member discounts, points, QR code) to ESC/POS bytes in a loop
//! for about 2 s on one thread, and prints receipts per second against the target of
//! ≥ 10,000/s. BENCH_RECEIPT_SECS changes the duration. Building the document from the sale
//! data is timed separately (the print queue renders documents it already holds).

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use member_kiosk::domain::Tier;
use member_kiosk::receipt::documents::{
    sale_receipt, SaleLine, SaleMember, SalePoints, SaleSlip, SlipHeader, TenderLine,
};
use member_kiosk::receipt::render::{escpos, Language, Paper, Style};
use rust_decimal::Decimal;

const TARGET_PER_SECOND: f64 = 10_000.0;

fn sale() -> SaleSlip {
    let day = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap_or_default();
    let names = [
        "纯棉T恤 白色 L",
        "Levi's 501 牛仔裤",
        "羊绒围巾 驼色",
        "Estée Lauder 雅诗兰黛特润修护肌活精华露 50ml",
        "有机蔬菜礼包",
    ];
    let lines = (0..20u32)
        .map(|i| {
            let unit = Decimal::new(1999 + i64::from(i) * 1234, 2);
            let quantity = 1 + i % 3;
            let gross = unit * Decimal::from(quantity);
            SaleLine {
                name: format!("{} {}", names[i as usize % names.len()], i + 1),
                quantity,
                unit_price: unit,
                gross,
                member_discount: if i % 4 == 3 {
                    Decimal::ZERO
                } else {
                    (gross * Decimal::new(12, 2)).round_dp(2)
                },
            }
        })
        .collect();
    SaleSlip {
        header: SlipHeader {
            store_name: "新世界百货 西单店".into(),
            workstation: "T01".into(),
            staff_id: "S1024".into(),
            at: day.and_hms_opt(14, 3, 0).unwrap_or_default(),
        },
        receipt_no: "0001-20250315-0042".into(),
        receipt_id: "S0001-0001-20250315-0042".into(),
        lines,
        tenders: vec![
            TenderLine {
                kind: "bank_card".into(),
                amount: Decimal::new(200_000, 2),
            },
            TenderLine {
                kind: "cash".into(),
                amount: Decimal::new(10_000, 2),
            },
        ],
        member: Some(SaleMember {
            card_masked: "***********0115".into(),
            tier: Tier::Gold,
            birthday: true,
            points: SalePoints {
                earned: 406,
                redeemed: 200,
                redeemed_value: Decimal::new(2000, 2),
                balance: 1536,
                usable_from: day.succ_opt().unwrap_or(day),
            },
        }),
        group_purchase: false,
        non_cash_tender: false,
    }
}

/// Runs `f` for `duration`; returns (iterations, elapsed).
fn run(duration: Duration, mut f: impl FnMut()) -> (u64, Duration) {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    (n, start.elapsed())
}

fn main() {
    let secs: f64 = std::env::var("BENCH_RECEIPT_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    let duration = Duration::from_secs_f64(secs);
    let style = Style {
        paper: Paper::Mm80,
        language: Language::Zh,
    };
    let slip = sale();
    let doc = sale_receipt(&slip, Language::Zh);
    let bytes = escpos(&doc, &style).len();

    // Warm up (allocator, caches), then measure.
    run(Duration::from_millis(200), || {
        black_box(escpos(black_box(&doc), &style));
    });
    let (n, elapsed) = run(duration, || {
        black_box(escpos(black_box(&doc), &style));
    });
    let per_second = n as f64 / elapsed.as_secs_f64();
    let (m, built) = run(duration / 2, || {
        black_box(escpos(
            &sale_receipt(black_box(&slip), Language::Zh),
            &style,
        ));
    });
    let with_build = m as f64 / built.as_secs_f64();

    println!("receipt render: 80 mm, zh, 20 lines, {bytes} bytes of ESC/POS");
    println!(
        "  render only:     {per_second:>10.0} receipts/s  ({:.1} µs each, {n} in {:.2} s)",
        1e6 / per_second,
        elapsed.as_secs_f64()
    );
    println!(
        "  build + render:  {with_build:>10.0} receipts/s  ({:.1} µs each)",
        1e6 / with_build
    );
    let met = per_second >= TARGET_PER_SECOND;
    println!(
        "  target ≥ {TARGET_PER_SECOND:.0}/s on one core: {}",
        if met { "met" } else { "NOT met" }
    );
}
