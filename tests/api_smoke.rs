//! A first end-to-end check of the harness: enrol, look up, quote, commit.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn enrol_then_checkout_with_the_new_card() {
    let app = spawn_app().await;
    let enrolled = app.enrol(1, "6000.00", day(1980, 5, 1)).await;
    assert_eq!(enrolled["tier"], "gold");
    let card = TestApp::card_number(&enrolled);
    let (status, view) = app.get(&format!("/api/cards/{card}")).await;
    assert_eq!(status, 200);
    assert_eq!(view["usable"], true);
    let (status, sale) = app
        .post(
            "/api/sales",
            json!({ "receipt_no": "T01-9", "till_id": "T01", "card_number": card,
                    "lines": [{ "sku": "A", "class": "regular", "unit_price": "1000.00", "quantity": 1 }],
                    "tenders": [{ "kind": "cash", "amount": "900.00" }] }),
        )
        .await;
    assert_eq!(status, 201, "{sale}");
    assert_eq!(sale["quote"]["payable"], "900.00");
    assert_eq!(sale["points"]["earned"], 180);
}
