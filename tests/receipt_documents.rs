//! Receipts and slips end to end: every document is built, rendered to ESC/POS, decoded back
//! (tests/support_escpos) and checked for its content, its column alignment with Chinese
//! item names at 32 and 48 columns, visible replacement of unprintable text, the COPY banner
//! and privacy; previews are compared with golden files (`UPDATE_GOLDEN=1` rewrites them).

mod support_escpos;

use chrono::{NaiveDate, NaiveDateTime};
use member_kiosk::domain::replacement::ReplacementReason;
use member_kiosk::domain::tier::PerTier;
use member_kiosk::domain::Tier;
use member_kiosk::receipt::document::{Align, Document, DocumentKind};
use member_kiosk::receipt::documents::*;
use member_kiosk::receipt::render::{escpos, preview, preview_and_escpos, Language, Paper, Style};
use member_kiosk::receipt::width::{width, Measure};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use support_escpos::{cuts, decode, lines, page, qr_payloads, styled_lines, unknown, Event};

const GBK: Measure = Measure::Gbk;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    day(y, m, d).and_hms_opt(h, min, 0).unwrap()
}

fn style(paper: Paper, language: Language) -> Style {
    Style { paper, language }
}

const ZH80: Style = Style {
    paper: Paper::Mm80,
    language: Language::Zh,
};
const ZH58: Style = Style {
    paper: Paper::Mm58,
    language: Language::Zh,
};

fn header(workstation: &str, staff: &str) -> SlipHeader {
    SlipHeader {
        store_name: "新世界百货 西单店".into(),
        workstation: workstation.into(),
        staff_id: staff.into(),
        at: at(2025, 3, 15, 14, 3),
    }
}

fn line(name: &str, quantity: u32, unit: Decimal, discount: Decimal) -> SaleLine {
    SaleLine {
        name: name.into(),
        quantity,
        unit_price: unit,
        gross: unit * Decimal::from(quantity),
        member_discount: discount,
    }
}

/// A Gold member's birthday sale: mixed Chinese/Latin names, a name too long for a line,
/// 200 points redeemed, two tenders with change.
fn sale() -> SaleSlip {
    SaleSlip {
        header: header("T01", "S1024"),
        receipt_no: "0001-20250315-0042".into(),
        receipt_id: "S0001-0001-20250315-0042".into(),
        lines: vec![
            line("纯棉T恤 白色 L", 2, dec!(159.00), dec!(38.16)),
            line("Levi's 501 牛仔裤", 1, dec!(699.00), dec!(83.88)),
            line("特价A 保温杯", 1, dec!(89.00), dec!(0)),
            line(
                "Estée Lauder 雅诗兰黛特润修护肌活精华露 50ml 限量礼盒装",
                1,
                dec!(1080.00),
                dec!(129.60),
            ),
            line("有机蔬菜礼包", 3, dec!(45.50), dec!(0)),
        ],
        tenders: vec![
            TenderLine {
                kind: "bank_card".into(),
                amount: dec!(2000.00),
            },
            TenderLine {
                kind: "cash".into(),
                amount: dec!(100.00),
            },
        ],
        member: Some(SaleMember {
            card_masked: "***********0115".into(),
            tier: Tier::Gold,
            birthday: true,
            points: SalePoints {
                earned: 406,
                redeemed: 200,
                redeemed_value: dec!(20.00),
                balance: 1536,
                usable_from: day(2025, 3, 16),
            },
        }),
        group_purchase: false,
        non_cash_tender: false,
    }
}

fn refund() -> RefundSlip {
    RefundSlip {
        header: header("T01", "S1024"),
        refund_no: "R0001-20250316-0003".into(),
        receipt_no: "0001-20250315-0042".into(),
        lines: vec![RefundLine {
            name: "纯棉T恤 白色 L".into(),
            quantity: 1,
            amount: dec!(137.65),
        }],
        member: Some(RefundMember {
            card_masked: "***********0115".into(),
            points_reversed: 26,
            points_restored: 12,
            points_owed: 0,
            balance: 1522,
        }),
    }
}

fn enrolment(tier: Tier) -> EnrolmentSlip {
    EnrolmentSlip {
        header: header("LOUNGE-1", "C2001"),
        card_masked: "***********0123".into(),
        tier,
        issued_on: day(2025, 3, 15),
        valid_until: day(2026, 3, 14),
        qualifying_receipts: vec!["0001-20250315-0007".into(), "0001-20250315-0011".into()],
        qualifying_cash: dec!(6280.00),
        welcome_gift: (tier >= Tier::Gold).then(|| WelcomeGift {
            voucher_no: "WG-20250315-0001".into(),
            gift: "精美保温杯一个".into(),
            valid_until: day(2025, 4, 14),
        }),
    }
}

fn upgrade() -> UpgradeSlip {
    UpgradeSlip {
        header: header("LOUNGE-1", "C2001"),
        old_card_masked: "***********0115".into(),
        new_card_masked: "***********0131".into(),
        from: Tier::Vip,
        to: Tier::Gold,
        qualifying_points: 1024,
        points_moved: 1536,
        valid_until: day(2026, 3, 14),
    }
}

fn loss_report() -> LossReportSlip {
    LossReportSlip {
        header: header("DESK-1", "D3001"),
        report_no: "L0001-20250315-0002".into(),
        card_masked: "***********0115".into(),
        tier: Tier::Vip,
        reported_at: at(2025, 3, 15, 9, 41),
        deadline: day(2025, 3, 22),
    }
}

fn replacement(tier: Tier, fee: Decimal) -> ReplacementSlip {
    ReplacementSlip {
        header: header("DESK-1", "D3001"),
        reason: ReplacementReason::Lost,
        old_card_masked: "***********0115".into(),
        new_card_masked: "***********0149".into(),
        tier,
        fee,
        new_card_from: day(2025, 3, 16),
        valid_until: day(2025, 11, 30),
        points_moved: 1536,
    }
}

fn parking() -> ParkingSlip {
    ParkingSlip {
        header: header("LOUNGE-1", "C2001"),
        card_masked: "***********0131".into(),
        tier: Tier::Gold,
        valid_on: day(2025, 3, 15),
        hours_per_ticket: 1,
        ticket_nos: vec!["P20250315-0007".into(), "P20250315-0008".into()],
    }
}

fn birthday_voucher() -> VoucherSlip {
    VoucherSlip {
        header: header("LOUNGE-1", "C2001"),
        kind: VoucherKind::BirthdayGift,
        voucher_no: "BG-2025-0315-0001".into(),
        card_masked: "***********0131".into(),
        tier: Tier::Gold,
        gift: "生日蛋糕券一张".into(),
        quantity: 1,
        points_used: 0,
        balance: None,
        valid_until: day(2025, 3, 31),
    }
}

fn exchange_voucher() -> VoucherSlip {
    VoucherSlip {
        header: header("LOUNGE-1", "C2001"),
        kind: VoucherKind::GiftExchange,
        voucher_no: "GX-2025-0315-0009".into(),
        card_masked: "***********0115".into(),
        tier: Tier::Vip,
        gift: "环保购物袋".into(),
        quantity: 2,
        points_used: 80,
        balance: Some(12),
        valid_until: day(2025, 4, 15),
    }
}

fn summary() -> DailySummary {
    DailySummary {
        header: SlipHeader {
            at: at(2025, 3, 15, 21, 30),
            ..header("LOUNGE-1", "C2001")
        },
        business_day: day(2025, 3, 15),
        operations: vec![
            OperationCount {
                operation: Operation::Enrolment,
                count: 4,
            },
            OperationCount {
                operation: Operation::Upgrade,
                count: 2,
            },
            OperationCount {
                operation: Operation::Parking,
                count: 7,
            },
            OperationCount {
                operation: Operation::BirthdayGift,
                count: 1,
            },
            OperationCount {
                operation: Operation::GiftExchange,
                count: 3,
            },
        ],
        sales: 312,
        sales_with_card: 187,
        card_sales_amount: dec!(86420.35),
        member_savings: dec!(7311.20),
        refund_total: dec!(1288.00),
        points_earned: 15230,
        points_redeemed: 4100,
        new_members: PerTier {
            vip: 3,
            gold: 1,
            platinum: 0,
        },
        replacement_fees: dec!(20.00),
        audit_head: Some(AuditHead {
            seq: 48213,
            hash: "5f3a9c0e12ab34cd".into(),
        }),
    }
}

/// Every document, named for its golden file.
fn all_documents(language: Language) -> Vec<(&'static str, Document)> {
    let mut docs = vec![
        ("sale", sale_receipt(&sale(), language)),
        ("refund", refund_receipt(&refund(), language)),
        (
            "enrolment",
            enrolment_slip(&enrolment(Tier::Gold), language),
        ),
        ("upgrade", upgrade_slip(&upgrade(), language)),
        (
            "loss_report",
            loss_report_confirmation(&loss_report(), language),
        ),
        (
            "replacement",
            replacement_slip(&replacement(Tier::Vip, dec!(10)), language),
        ),
        ("parking", parking_tickets(&parking(), language)),
        ("birthday_voucher", voucher(&birthday_voucher(), language)),
        ("exchange_voucher", voucher(&exchange_voucher(), language)),
        ("daily_summary", daily_summary(&summary(), language)),
    ];
    if let Some(v) = welcome_gift_voucher(&enrolment(Tier::Gold), language) {
        docs.push(("welcome_voucher", v));
    }
    docs
}

fn decoded(doc: &Document, style: Style) -> Vec<Event> {
    decode(&escpos(doc, &style))
}

fn text_of(events: &[Event]) -> String {
    lines(events).join("\n")
}

// ---------------------------------------------------------------------------------------
// The stream

#[test]
fn chinese_stream_starts_with_init_and_fs_ampersand_and_has_only_known_commands() {
    for (name, doc) in all_documents(Language::Zh) {
        for style in [ZH80, ZH58] {
            let events = decoded(&doc, style);
            assert_eq!(
                events[..2],
                [Event::Init, Event::ChineseMode(true)],
                "{name}"
            );
            assert!(
                unknown(&events).is_empty(),
                "{name}: {:?}",
                unknown(&events)
            );
            assert!(
                !text_of(&events).contains('\u{fffd}'),
                "{name}: undecodable GBK"
            );
            assert!(
                matches!(events.last(), Some(Event::Cut { partial: false })),
                "{name} ends with a cut"
            );
        }
    }
}

#[test]
fn english_stream_uses_code_page_437_and_no_chinese_mode() {
    let doc = sale_receipt(&sale(), Language::En);
    let events = decoded(&doc, style(Paper::Mm80, Language::En));
    assert_eq!(events[..2], [Event::Init, Event::CodePage(0)]);
    assert!(!events.contains(&Event::ChineseMode(true)));
    let text = text_of(&events);
    for label in [
        "Till",
        "Cashier",
        "Receipt",
        "Member savings",
        "Payable",
        "Bank card",
    ] {
        assert!(text.contains(label), "{label} in\n{text}");
    }
    assert!(text.contains("¥2050.86"), "{text}");
    assert!(text.contains("Tier") && text.contains("Gold"));
}

// ---------------------------------------------------------------------------------------
// Content of each document

#[test]
fn sale_receipt_shows_everything_the_till_promised() {
    let slip = sale();
    assert_eq!(slip.gross_total(), dec!(2322.50));
    assert_eq!(slip.member_savings(), dec!(251.64));
    assert_eq!(slip.payable(), dec!(2050.86));
    let events = decoded(&sale_receipt(&slip, Language::Zh), ZH80);
    let text = text_of(&events);
    for expected in [
        "新世界百货 西单店",
        "购物小票",
        "收银台",
        "T01",
        "收银员",
        "S1024",
        "小票号",
        "0001-20250315-0042",
        "2025-03-15 14:03",
        "纯棉T恤 白色 L",
        "单价 159.00",
        "会员优惠",
        "-38.16",
        "合计",
        "￥2322.50",
        "-￥251.64",
        "积分抵扣(200分)",
        "-￥20.00",
        "应付",
        "￥2050.86",
        "银行卡",
        "￥2000.00",
        "现金",
        "￥100.00",
        "找零",
        "￥49.14",
        "会员卡",
        "***********0115",
        "等级",
        "金卡",
        "本次积分",
        "406",
        "已用积分",
        "积分余额",
        "1536",
        "可用日期",
        "2025-03-16",
        "生日快乐",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    assert_eq!(qr_payloads(&events), ["S0001-0001-20250315-0042"]);
    let qr = events
        .iter()
        .find(|e| matches!(e, Event::Qr { .. }))
        .unwrap();
    // Model 2 ('2'), module size 6, error correction M ('1').
    assert!(matches!(
        qr,
        Event::Qr {
            model: 50,
            size: 6,
            level: 49,
            ..
        }
    ));
    assert_eq!(cuts(&events), 1);
    // Title: centred, bold, double width and height.
    let title = &styled_lines(&events)[0];
    assert_eq!(title.text, "新世界百货 西单店");
    assert_eq!(
        (title.align, title.bold, title.width, title.height),
        (Align::Center, true, 2, 2)
    );
    // The amount due is bold.
    let payable = styled_lines(&events)
        .into_iter()
        .find(|l| l.text.starts_with("应付"))
        .unwrap();
    assert!(payable.bold);
}

#[test]
fn guest_sale_has_no_member_section_and_notes_are_printed() {
    let mut slip = sale();
    slip.member = None;
    slip.group_purchase = true;
    slip.non_cash_tender = true;
    let text = text_of(&decoded(&sale_receipt(&slip, Language::Zh), ZH80));
    assert!(!text.contains("会员卡") && !text.contains("积分余额") && !text.contains("积分抵扣"));
    assert!(text.contains("团购不享受会员折扣及积分"));
    assert!(text.contains("使用非现金支付，本单不享受会员折扣"));
}

#[test]
fn refund_receipt_shows_amount_and_points() {
    let text = text_of(&decoded(&refund_receipt(&refund(), Language::Zh), ZH80));
    for expected in [
        "退货单",
        "R0001-20250316-0003",
        "原小票号",
        "0001-20250315-0042",
        "退款金额",
        "￥137.65",
        "扣回积分",
        "-26",
        "退回积分",
        "+12",
        "1522",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    assert!(!text.contains("待抵扣积分"));
}

#[test]
fn enrolment_prints_a_welcome_voucher_for_gold_and_platinum_only() {
    let gold = enrolment(Tier::Gold);
    let text = text_of(&decoded(&enrolment_slip(&gold, Language::Zh), ZH80));
    for expected in [
        "会员入会登记",
        "欢迎成为本店会员！",
        "***********0123",
        "金卡",
        "发卡日期",
        "2025-03-15",
        "有效期至",
        "2026-03-14",
        "￥6280.00",
        "0001-20250315-0011",
        "入会礼券另页打印",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    let voucher = welcome_gift_voucher(&gold, Language::Zh).unwrap();
    assert_eq!(voucher.kind, DocumentKind::WelcomeGiftVoucher);
    let events = decoded(&voucher, ZH80);
    let text = text_of(&events);
    for expected in [
        "入会礼券",
        "WG-20250315-0001",
        "精美保温杯一个",
        "2025-04-14",
        "请凭本券至贵宾室领取",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    assert_eq!(qr_payloads(&events), ["WG-20250315-0001"]);

    let vip = enrolment(Tier::Vip);
    assert!(welcome_gift_voucher(&vip, Language::Zh).is_none());
    let text = text_of(&decoded(&enrolment_slip(&vip, Language::Zh), ZH80));
    assert!(text.contains("贵宾卡") && !text.contains("入会礼券"));
}

#[test]
fn upgrade_slip_names_both_cards_and_tiers() {
    let text = text_of(&decoded(&upgrade_slip(&upgrade(), Language::Zh), ZH80));
    for expected in [
        "会员升级",
        "恭喜您升级为金卡会员！",
        "原卡",
        "***********0115",
        "新卡",
        "***********0131",
        "贵宾卡",
        "累计积分",
        "1024",
        "转入积分",
        "1536",
        "原卡即时作废",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
}

#[test]
fn loss_report_confirmation_states_the_seven_day_deadline() {
    let slip = loss_report();
    assert_eq!((slip.deadline - slip.reported_at.date()).num_days(), 7);
    let text = text_of(&decoded(
        &loss_report_confirmation(&slip, Language::Zh),
        ZH80,
    ));
    for expected in [
        "挂失确认单",
        "L0001-20250315-0002",
        "挂失时间",
        "2025-03-15 09:41",
        "补卡截止",
        "2025-03-22",
        "此卡已即时冻结。",
        "挂失前已使用的积分不予退还。",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    // The sentence with the deadline may wrap: check it with the lines joined.
    assert!(text
        .replace('\n', "")
        .contains("请于 2025-03-22 前携带身份证件到本店办理补卡。"));
    let en = text_of(&decoded(
        &loss_report_confirmation(&slip, Language::En),
        style(Paper::Mm80, Language::En),
    ));
    assert!(en.replace('\n', " ").contains("by 2025-03-22"), "{en}");
}

#[test]
fn replacement_slip_shows_fee_or_waiver_and_start_day() {
    let text = text_of(&decoded(
        &replacement_slip(&replacement(Tier::Vip, dec!(10)), Language::Zh),
        ZH80,
    ));
    for expected in [
        "补卡单",
        "卡片遗失",
        "***********0149",
        "新卡启用",
        "2025-03-16",
        "工本费",
        "￥10.00",
        "原卡号永久作废",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    let text = text_of(&decoded(
        &replacement_slip(&replacement(Tier::Gold, dec!(0)), Language::Zh),
        ZH80,
    ));
    assert!(text.contains("免收") && !text.contains("￥0.00"));
}

#[test]
fn parking_tickets_are_one_piece_each_with_a_cut_between() {
    let events = decoded(&parking_tickets(&parking(), Language::Zh), ZH58);
    assert_eq!(cuts(&events), 2);
    assert_eq!(qr_payloads(&events), ["P20250315-0007", "P20250315-0008"]);
    let text = text_of(&events);
    assert!(text.contains("第 1/2 张") && text.contains("第 2/2 张"));
    assert_eq!(text.matches("免费停车 1 小时").count(), 2);
    // Each ticket sits between cuts: the second ticket's number follows the first cut.
    let first_cut = events
        .iter()
        .position(|e| matches!(e, Event::Cut { .. }))
        .unwrap();
    assert!(text_of(&events[first_cut..]).contains("P20250315-0008"));
    assert!(!text_of(&events[first_cut..]).contains("P20250315-0007"));
}

#[test]
fn vouchers_carry_gift_number_and_points() {
    let doc = voucher(&birthday_voucher(), Language::Zh);
    assert_eq!(doc.kind, DocumentKind::BirthdayGiftVoucher);
    let events = decoded(&doc, ZH80);
    let text = text_of(&events);
    for expected in [
        "生日礼券",
        "生日快乐",
        "生日蛋糕券一张",
        "BG-2025-0315-0001",
        "2025-03-31",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    assert!(!text.contains("消耗积分"));
    assert_eq!(qr_payloads(&events), ["BG-2025-0315-0001"]);

    let doc = voucher(&exchange_voucher(), Language::Zh);
    assert_eq!(doc.kind, DocumentKind::GiftExchangeVoucher);
    let text = text_of(&decoded(&doc, ZH80));
    for expected in [
        "积分兑换券",
        "环保购物袋",
        "消耗积分",
        "80",
        "积分余额",
        "12",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
}

#[test]
fn daily_summary_counts_operations_and_new_members() {
    let text = text_of(&decoded(&daily_summary(&summary(), Language::Zh), ZH80));
    for expected in [
        "会员业务日结",
        "LOUNGE-1",
        "营业日",
        "入会",
        "升级",
        "停车券",
        "生日礼",
        "积分兑换",
        "刷卡消费笔数",
        "187",
        "￥86420.35",
        "发放积分",
        "15230",
        "使用积分",
        "4100",
        "新会员",
        "贵宾卡",
        "白金卡",
        "补卡工本费",
        "￥20.00",
        // The paper anchor of the audit chain: its head's seq and hash.
        "审计链",
        "#48213",
        "5f3a9c0e12ab34cd",
    ] {
        assert!(text.contains(expected), "{expected:?} missing in\n{text}");
    }
    let lines = lines(&decoded(&daily_summary(&summary(), Language::Zh), ZH80));
    let totals: Vec<&String> = lines.iter().filter(|l| l.starts_with("合计")).collect();
    assert_eq!(totals.len(), 2);
    assert!(
        totals[0].ends_with(" 17"),
        "operations total: {}",
        totals[0]
    );
    assert!(
        totals[1].ends_with(" 4"),
        "new members total: {}",
        totals[1]
    );
}

// ---------------------------------------------------------------------------------------
// Columns

/// The printed lines at `style`, each with its character width multiplier.
fn printed(doc: &Document, style: Style) -> Vec<(String, u8)> {
    styled_lines(&decoded(doc, style))
        .into_iter()
        .map(|l| (l.text, l.width))
        .collect()
}

#[test]
fn no_line_is_wider_than_the_paper() {
    for (name, doc) in all_documents(Language::Zh) {
        for style in [ZH80, ZH58] {
            let columns = style.paper.columns();
            for (text, times) in printed(&doc, style) {
                let w = width(&text, GBK) * usize::from(times);
                assert!(w <= columns, "{name} at {columns}: {text:?} is {w} wide");
            }
        }
    }
}

#[test]
fn item_amounts_end_in_the_last_column_with_chinese_names() {
    let slip = sale();
    for style in [ZH80, ZH58] {
        let columns = style.paper.columns();
        let lines = lines(&decoded(&sale_receipt(&slip, Language::Zh), style));
        for item in &slip.lines {
            let amount = item.gross.to_string();
            // The row starts with the name (or its first part, when it wraps).
            let row = lines
                .iter()
                .find(|l| {
                    l.ends_with(&amount)
                        && item
                            .name
                            .starts_with(l.split("  ").next().unwrap().trim_end())
                })
                .unwrap_or_else(|| {
                    panic!(
                        "no row for {} at {columns}:\n{}",
                        item.name,
                        lines.join("\n")
                    )
                });
            assert_eq!(width(row, GBK), columns, "{row:?} at {columns}");
            if !item.member_discount.is_zero() {
                let discount = format!("-{}", item.member_discount);
                let sub = lines.iter().find(|l| l.ends_with(&discount)).unwrap();
                assert_eq!(width(sub, GBK), columns, "{sub:?}");
            }
        }
        // Every right-aligned amount column lines up: the quantity column too.
        let qty_ends: Vec<usize> = lines
            .iter()
            .filter(|l| slip.lines.iter().any(|i| l.ends_with(&i.gross.to_string())))
            .map(|l| {
                let head = l
                    .trim_end_matches(|c: char| c.is_ascii_digit() || c == '.')
                    .trim_end();
                width(head, GBK)
            })
            .collect();
        assert_eq!(qty_ends.len(), slip.lines.len());
        assert!(
            qty_ends.windows(2).all(|w| w[0] == w[1]),
            "qty column at {columns}: {qty_ends:?}"
        );
    }
}

#[test]
fn label_value_pairs_end_in_the_last_column() {
    for style in [ZH80, ZH58] {
        let columns = style.paper.columns();
        let lines = lines(&decoded(&sale_receipt(&sale(), Language::Zh), style));
        for label in [
            "收银台",
            "合计",
            "会员优惠",
            "应付",
            "银行卡",
            "积分余额",
            "可用日期",
        ] {
            let l = lines.iter().find(|l| l.starts_with(label)).unwrap();
            assert_eq!(width(l, GBK), columns, "{l:?} at {columns}");
        }
    }
}

#[test]
fn long_item_names_wrap_inside_their_column() {
    let slip = sale();
    let long = &slip.lines[3].name;
    for style in [ZH80, ZH58] {
        let lines = lines(&decoded(&sale_receipt(&slip, Language::Zh), style));
        let first = lines.iter().position(|l| l.starts_with("Estée")).unwrap();
        // Wrapped: the first line carries the amount, the rest of the name follows on its
        // own lines, and nothing of the name is lost.
        assert!(lines[first].ends_with("1080.00"));
        let mut name = String::new();
        for l in &lines[first..] {
            let part = if name.is_empty() {
                l.split("  ").next().unwrap()
            } else {
                l.as_str()
            };
            name.push_str(part.trim());
            if name.replace(' ', "") == long.replace(' ', "") {
                break;
            }
            assert!(!l.starts_with("  "), "continuation {l:?}");
        }
        assert_eq!(name.replace(' ', ""), long.replace(' ', ""));
    }
}

#[test]
fn huge_amounts_still_end_in_the_last_column() {
    let mut slip = sale();
    slip.lines = vec![line("貂皮大衣", 1, dec!(1288000.00), dec!(0))];
    let lines = lines(&decoded(&sale_receipt(&slip, Language::Zh), ZH58));
    let row = lines.iter().find(|l| l.starts_with("貂皮大衣")).unwrap();
    assert!(row.ends_with("1288000.00"));
    assert_eq!(width(row, GBK), 32);
}

#[test]
fn one_layout_pass_gives_the_same_preview_and_bytes_as_two() {
    let mut slip = sale();
    // A QR payload too long for a code: the bytes print it as a line, the preview as `[QR …]`.
    slip.receipt_id = "X".repeat(8000);
    for doc in [
        sale_receipt(&sale(), Language::Zh),
        sale_receipt(&slip, Language::Zh),
        Document {
            copy: true,
            ..sale_receipt(&sale(), Language::En)
        },
    ] {
        for s in [ZH80, style(Paper::Mm58, Language::En)] {
            assert_eq!(
                preview_and_escpos(&doc, &s),
                (preview(&doc, &s), escpos(&doc, &s))
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Text the printer can't print

#[test]
fn unencodable_text_is_replaced_visibly_never_crashes() {
    let mut slip = sale();
    slip.lines = vec![line("Señor 😀 Café 香水", 1, dec!(10), dec!(0))];
    let events = decoded(&sale_receipt(&slip, Language::Zh), ZH80);
    let text = text_of(&events);
    assert!(text.contains("Se?or ? Café 香水"), "{text}");
    // The same, in the preview.
    assert!(preview(&sale_receipt(&slip, Language::Zh), &ZH80).contains("Se?or ? Café 香水"));
    // English mode: Chinese is not in code page 437.
    let en = text_of(&decoded(
        &sale_receipt(&slip, Language::En),
        style(Paper::Mm58, Language::En),
    ));
    assert!(en.contains("Señor ? Café ??"), "{en}"); // ñ and é are in code page 437
    assert!(text.contains("Se?or ? Café 香水"));
}

#[test]
fn control_characters_in_data_cannot_inject_printer_commands() {
    let mut slip = sale();
    // ESC p 0: kick the cash drawer; GS V: cut.
    slip.lines = vec![line("evil\x1bp\x00\x19\x1dV\x00", 1, dec!(10), dec!(0))];
    slip.receipt_no = "\x1b@".into();
    let bytes = escpos(&sale_receipt(&slip, Language::Zh), &ZH80);
    assert!(!bytes.windows(2).any(|w| w == [0x1b, b'p']));
    let events = decode(&bytes);
    assert!(unknown(&events).is_empty());
    assert_eq!(cuts(&events), 1);
    assert!(text_of(&events).contains("evil?p???V?"));
}

// ---------------------------------------------------------------------------------------
// Reprints and privacy

#[test]
fn reprint_is_marked_copy_at_top_and_bottom_of_every_piece() {
    let mut doc = sale_receipt(&sale(), Language::Zh);
    doc.copy = true;
    let events = decoded(&doc, ZH58);
    let styled = styled_lines(&events);
    assert_eq!(styled[0].text, "*** 副本 COPY ***");
    assert!(styled[0].bold && styled[0].height == 2);
    assert_eq!(styled.last().unwrap().text, "*** 副本 COPY ***");

    let mut tickets = parking_tickets(&parking(), Language::Zh);
    tickets.copy = true;
    let events = decoded(&tickets, ZH58);
    assert_eq!(
        lines(&events)
            .iter()
            .filter(|l| l.contains("副本 COPY"))
            .count(),
        4
    );
    let original = decoded(&parking_tickets(&parking(), Language::Zh), ZH58);
    assert!(!text_of(&original).contains("COPY"));

    let mut en = sale_receipt(&sale(), Language::En);
    en.copy = true;
    let text = text_of(&decoded(&en, style(Paper::Mm80, Language::En)));
    assert!(text.starts_with("*** COPY ***"));
}

#[test]
fn full_card_numbers_never_reach_paper() {
    let mut slip = sale();
    if let Some(m) = slip.member.as_mut() {
        m.card_masked = "8800010000000115".into(); // a caller forgot to mask
    }
    let text = text_of(&decoded(&sale_receipt(&slip, Language::Zh), ZH80));
    assert!(!text.contains("8800010000000115"));
    assert!(text.contains("************0115"));
}

#[test]
fn slips_are_plain_serde_data() {
    let json = serde_json::to_string(&sale()).unwrap();
    assert!(
        json.contains("\"2322.50\"") || json.contains("\"159.00\""),
        "{json}"
    );
    let back: SaleSlip = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sale());
    let json = serde_json::to_string(&summary()).unwrap();
    assert_eq!(
        serde_json::from_str::<DailySummary>(&json).unwrap(),
        summary()
    );
}

// ---------------------------------------------------------------------------------------
// Preview

#[test]
fn preview_is_the_decoded_paper() {
    for (name, doc) in all_documents(Language::Zh) {
        for style in [ZH80, ZH58] {
            let columns = style.paper.columns();
            let paper = page(&decoded(&doc, style), columns, GBK);
            assert_eq!(preview(&doc, &style), paper, "{name} at {columns}");
        }
    }
    let doc = sale_receipt(&sale(), Language::En);
    let style = style(Paper::Mm58, Language::En);
    assert_eq!(
        preview(&doc, &style),
        page(&decoded(&doc, style), 32, Measure::Unicode)
    );
}

#[test]
fn previews_match_golden_files() {
    let mut cases: Vec<(String, Document, Style)> = Vec::new();
    for (name, doc) in all_documents(Language::Zh) {
        cases.push((format!("{name}.zh.48"), doc.clone(), ZH80));
        cases.push((format!("{name}.zh.32"), doc, ZH58));
    }
    cases.push((
        "sale.en.48".into(),
        sale_receipt(&sale(), Language::En),
        style(Paper::Mm80, Language::En),
    ));
    let mut reprint = refund_receipt(&refund(), Language::Zh);
    reprint.copy = true;
    cases.push(("refund_copy.zh.32".into(), reprint, ZH58));

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1");
    let mut failures = Vec::new();
    for (name, doc, style) in cases {
        let path = dir.join(format!("receipt_{name}.txt"));
        let actual = preview(&doc, &style);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(expected) if expected == actual => {}
            Ok(expected) => failures.push(format!(
                "{}: preview differs\n--- golden\n{expected}\n--- actual\n{actual}",
                path.display()
            )),
            Err(e) => failures.push(format!(
                "{}: {e} (run with UPDATE_GOLDEN=1)",
                path.display()
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// Any item name

mod any_name {
    use super::*;
    use proptest::prelude::*;

    /// Names drawn from ASCII, Chinese, GBK symbols, Latin accents, emoji and control bytes.
    fn name() -> impl Strategy<Value = String> {
        let pieces = prop::sample::select(vec![
            "a",
            "Z",
            "7",
            " ",
            "  ",
            "-",
            "纯",
            "棉",
            "恤",
            "。",
            "，",
            "·",
            "…",
            "é",
            "ô",
            "Ж",
            "😀",
            "\u{301}",
            "\x1b",
            "\n",
            "\t",
            "￥",
            "¥",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ]);
        prop::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn any_name_prints_with_the_amount_in_the_last_column(
            name in name(),
            fen in 0i64..100_000_000,
            quantity in 1u32..5,
        ) {
            let mut slip = sale();
            let unit = Decimal::new(fen, 2);
            slip.lines = vec![line(&name, quantity, unit, dec!(0))];
            for style in [ZH80, ZH58, super::style(Paper::Mm58, Language::En)] {
                let columns = style.paper.columns();
                let events = decoded(&sale_receipt(&slip, style.language), style);
                prop_assert!(unknown(&events).is_empty());
                let measure = if style.language == Language::Zh { GBK } else { Measure::Unicode };
                for l in styled_lines(&events) {
                    prop_assert!(width(&l.text, measure) * usize::from(l.width) <= columns, "{:?}", l.text);
                }
                let amount = (unit * Decimal::from(quantity)).to_string();
                let row = lines(&events)
                    .into_iter()
                    .find(|l| l.ends_with(&format!(" {amount}")) && !l.starts_with(['合', 'T']))
                    .unwrap_or_default();
                prop_assert_eq!(width(&row, measure), columns, "{:?}", row);
            }
        }
    }
}
