//! Every counter operation prints at its workstation after it commits: the sale receipt at
//! the till, the enrolment slip and welcome voucher at the lounge, the end-of-day summary.
//! The tests' printers are the spool (the demo default), so the jobs print; the printer
//! fault paths are in print_faults.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn a_card_sale_prints_its_receipt_with_savings_points_and_a_masked_card() {
    let app = spawn_app().await;
    let card = app.enrol_card(1, "6000.00", day(1980, 5, 1)).await;
    let (status, sale) = app
        .sale(
            "T01-42",
            Some(&card),
            json!([regular("COAT-01", "1000.00", 1)]),
            cash("900.00"),
            0,
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    let print = &sale["print"][0];
    assert_eq!(print["state"], "printed", "{print}");
    let preview = print["preview"].as_str().expect("preview");
    for expected in [
        "T01-42",
        "COAT-01",
        "900.00",
        "100.00",
        "180",
        &card[card.len() - 4..],
    ] {
        assert!(
            preview.contains(expected),
            "{expected} missing from\n{preview}"
        );
    }
    assert!(
        !preview.contains(&card),
        "the full card number is never printed:\n{preview}"
    );
    // The job is in the queue, by workstation (the till), with its preview.
    let (status, jobs) = app.get("/api/print-jobs?workstation=T01").await;
    assert_eq!(status, 200, "{jobs}");
    assert!(
        jobs.as_array()
            .is_some_and(|j| j.iter().any(|job| job["id"] == print["job_id"])),
        "{jobs}"
    );
}

#[tokio::test]
async fn gold_enrolment_prints_the_slip_and_the_welcome_voucher_vip_only_the_slip() {
    let app = spawn_app().await;
    let gold = app.enrol(1, "6000.00", day(1980, 5, 1)).await;
    assert_eq!(gold["print"].as_array().map(Vec::len), Some(2), "{gold}");
    assert!(gold["print"]
        .as_array()
        .is_some_and(|p| p.iter().all(|o| o["state"] == "printed")));
    let vip = app.enrol(2, "300.00", day(1981, 6, 2)).await;
    assert_eq!(vip["print"].as_array().map(Vec::len), Some(1), "{vip}");
    // Personal data never reaches the paper.
    for outcome in gold["print"].as_array().into_iter().flatten() {
        let preview = outcome["preview"].as_str().unwrap_or_default();
        assert!(
            !preview.contains(&prc_id(day(1980, 5, 1), 1)) && !preview.contains("13900000001"),
            "{preview}"
        );
    }
}

#[tokio::test]
async fn the_end_of_day_summary_counts_the_workstations_operations() {
    let app = spawn_app().await;
    app.guest_cash_sale("T01-1", "120.00").await;
    app.guest_cash_sale("T01-2", "80.00").await;
    let (status, summary) = app
        .post("/api/workstations/T01/daily-summary", json!({}))
        .await;
    assert_eq!(status, 200, "{summary}");
    let preview = summary["print"][0]["preview"].as_str().expect("preview");
    let line = |label: &str| {
        preview
            .lines()
            .find(|l| l.starts_with(label))
            .map(|l| l.split_whitespace().last().unwrap_or_default().to_owned())
    };
    assert_eq!(
        line("消费笔数").as_deref(),
        Some("2"),
        "two sales counted:\n{preview}"
    );
    assert_eq!(line("刷卡消费笔数").as_deref(), Some("0"), "{preview}");
    assert_eq!(line("工作站").as_deref(), Some("T01"), "{preview}");
    assert_eq!(summary["business_day"], "2026-03-10");
}
