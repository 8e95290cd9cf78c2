//! Every word printed on a receipt or slip, in Simplified Chinese (the default) and English.
//! One struct per language so a label missing in either fails to compile.

use std::borrow::Cow;

use super::render::Language;
use crate::domain::replacement::ReplacementReason;
use crate::domain::tier::Tier;

/// The fixed labels of one language.
#[derive(Debug)]
pub struct Labels {
    // Who and where.
    pub till: &'static str,
    pub counter: &'static str,
    pub workstation: &'static str,
    pub cashier: &'static str,
    pub clerk: &'static str,
    pub time: &'static str,
    pub business_day: &'static str,
    pub receipt_no: &'static str,
    pub card: &'static str,
    pub tier: &'static str,
    pub copy: &'static str,
    pub thanks: &'static str,
    pub end: &'static str,
    // Sale receipt.
    pub sale_title: &'static str,
    pub item: &'static str,
    pub quantity: &'static str,
    pub amount: &'static str,
    pub unit_price: &'static str,
    pub total: &'static str,
    pub member_savings: &'static str,
    pub points_payment: &'static str,
    pub payable: &'static str,
    pub change: &'static str,
    pub points: &'static str,
    pub points_unit: &'static str,
    pub earned: &'static str,
    pub redeemed: &'static str,
    pub balance: &'static str,
    pub usable_from: &'static str,
    pub happy_birthday: &'static str,
    pub birthday_rates: &'static str,
    pub group_purchase_note: &'static str,
    pub non_cash_note: &'static str,
    // Tenders (policy kinds).
    pub cash: &'static str,
    pub bank_card: &'static str,
    pub mobile_wallet: &'static str,
    pub gift_voucher: &'static str,
    pub coupon: &'static str,
    pub store_credit: &'static str,
    // Refund receipt.
    pub refund_title: &'static str,
    pub refund_no: &'static str,
    pub original_receipt: &'static str,
    pub refund_amount: &'static str,
    pub points_reversed: &'static str,
    pub points_restored: &'static str,
    pub points_owed: &'static str,
    // Enrolment and welcome gift.
    pub enrolment_title: &'static str,
    pub welcome: &'static str,
    pub issued_on: &'static str,
    pub valid_until: &'static str,
    pub qualifying_receipts: &'static str,
    pub qualifying_cash: &'static str,
    pub welcome_gift_follows: &'static str,
    pub welcome_voucher_title: &'static str,
    pub voucher_no: &'static str,
    pub gift: &'static str,
    pub collect_at_lounge: &'static str,
    pub valid_once: &'static str,
    // Upgrade.
    pub upgrade_title: &'static str,
    pub old_card: &'static str,
    pub new_card: &'static str,
    pub from_tier: &'static str,
    pub to_tier: &'static str,
    pub qualifying_points: &'static str,
    pub points_moved: &'static str,
    pub old_card_void: &'static str,
    // Loss report.
    pub loss_title: &'static str,
    pub report_no: &'static str,
    pub reported_at: &'static str,
    pub complete_by: &'static str,
    pub card_blocked: &'static str,
    pub blocked_after_deadline: &'static str,
    pub points_used_stay_used: &'static str,
    // Replacement.
    pub replacement_title: &'static str,
    pub reason: &'static str,
    pub damaged: &'static str,
    pub lost: &'static str,
    pub fee: &'static str,
    pub fee_waived: &'static str,
    pub new_card_from: &'static str,
    pub old_number_void: &'static str,
    // Parking.
    pub parking_title: &'static str,
    pub ticket_no: &'static str,
    pub valid_on: &'static str,
    // Vouchers.
    pub birthday_voucher_title: &'static str,
    pub exchange_voucher_title: &'static str,
    pub points_used: &'static str,
    // Daily summary.
    pub summary_title: &'static str,
    pub operations: &'static str,
    pub sales: &'static str,
    pub sales_with_card: &'static str,
    pub card_sales_amount: &'static str,
    pub points_earned: &'static str,
    pub points_redeemed: &'static str,
    pub new_members: &'static str,
    pub replacement_fees: &'static str,
    pub audit_head: &'static str,
    pub refund_total: &'static str,
    // Operations (daily summary rows).
    pub op_sale: &'static str,
    pub op_refund: &'static str,
    pub op_enrolment: &'static str,
    pub op_upgrade: &'static str,
    pub op_reactivation: &'static str,
    pub op_loss_report: &'static str,
    pub op_replacement: &'static str,
    pub op_parking: &'static str,
    pub op_birthday_gift: &'static str,
    pub op_gift_exchange: &'static str,
    pub op_reprint: &'static str,
    // Tiers (charter names).
    pub vip: &'static str,
    pub gold: &'static str,
    pub platinum: &'static str,
}

pub static ZH: Labels = Labels {
    till: "收银台",
    counter: "柜台",
    workstation: "工作站",
    cashier: "收银员",
    clerk: "经办人",
    time: "时间",
    business_day: "营业日",
    receipt_no: "小票号",
    card: "会员卡",
    tier: "等级",
    copy: "副本 COPY",
    thanks: "谢谢惠顾，欢迎再次光临",
    end: "— 完 —",
    sale_title: "购物小票",
    item: "品名",
    quantity: "数量",
    amount: "金额",
    unit_price: "单价",
    total: "合计",
    member_savings: "会员优惠",
    points_payment: "积分抵扣",
    payable: "应付",
    change: "找零",
    points: "积分",
    points_unit: "分",
    earned: "本次积分",
    redeemed: "已用积分",
    balance: "积分余额",
    usable_from: "可用日期",
    happy_birthday: "生日快乐",
    birthday_rates: "本单已享会员生日折扣",
    group_purchase_note: "团购不享受会员折扣及积分",
    non_cash_note: "使用非现金支付，本单不享受会员折扣",
    cash: "现金",
    bank_card: "银行卡",
    mobile_wallet: "移动支付",
    gift_voucher: "礼券",
    coupon: "优惠券",
    store_credit: "储值",
    refund_title: "退货单",
    refund_no: "退货单号",
    original_receipt: "原小票号",
    refund_amount: "退款金额",
    points_reversed: "扣回积分",
    points_restored: "退回积分",
    points_owed: "待抵扣积分",
    enrolment_title: "会员入会登记",
    welcome: "欢迎成为本店会员！",
    issued_on: "发卡日期",
    valid_until: "有效期至",
    qualifying_receipts: "消费小票",
    qualifying_cash: "当日现金消费",
    welcome_gift_follows: "入会礼券另页打印",
    welcome_voucher_title: "入会礼券",
    voucher_no: "券号",
    gift: "礼品",
    collect_at_lounge: "请凭本券至贵宾室领取",
    valid_once: "本券限用一次，复印无效",
    upgrade_title: "会员升级",
    old_card: "原卡",
    new_card: "新卡",
    from_tier: "原等级",
    to_tier: "新等级",
    qualifying_points: "累计积分",
    points_moved: "转入积分",
    old_card_void: "原卡即时作废",
    loss_title: "挂失确认单",
    report_no: "挂失单号",
    reported_at: "挂失时间",
    complete_by: "补卡截止",
    card_blocked: "此卡已即时冻结。",
    blocked_after_deadline: "逾期未办理，卡片保持冻结，我们将致电跟进。",
    points_used_stay_used: "挂失前已使用的积分不予退还。",
    replacement_title: "补卡单",
    reason: "原因",
    damaged: "卡片损坏",
    lost: "卡片遗失",
    fee: "工本费",
    fee_waived: "免收",
    new_card_from: "新卡启用",
    old_number_void: "原卡号永久作废",
    parking_title: "停车券",
    ticket_no: "票号",
    valid_on: "使用日期",
    birthday_voucher_title: "生日礼券",
    exchange_voucher_title: "积分兑换券",
    points_used: "消耗积分",
    summary_title: "会员业务日结",
    operations: "业务笔数",
    sales: "消费笔数",
    sales_with_card: "刷卡消费笔数",
    card_sales_amount: "刷卡消费金额",
    points_earned: "发放积分",
    points_redeemed: "使用积分",
    new_members: "新会员",
    replacement_fees: "补卡工本费",
    audit_head: "审计链",
    refund_total: "退款金额",
    op_sale: "购物",
    op_refund: "退货",
    op_enrolment: "入会",
    op_upgrade: "升级",
    op_reactivation: "激活",
    op_loss_report: "挂失",
    op_replacement: "补卡",
    op_parking: "停车券",
    op_birthday_gift: "生日礼",
    op_gift_exchange: "积分兑换",
    op_reprint: "重印",
    vip: "贵宾卡",
    gold: "金卡",
    platinum: "白金卡",
};

pub static EN: Labels = Labels {
    till: "Till",
    counter: "Counter",
    workstation: "Workstation",
    cashier: "Cashier",
    clerk: "Clerk",
    time: "Time",
    business_day: "Business day",
    receipt_no: "Receipt",
    card: "Card",
    tier: "Tier",
    copy: "COPY",
    thanks: "Thank you for shopping with us",
    end: "- END -",
    sale_title: "Sales receipt",
    item: "Item",
    quantity: "Qty",
    amount: "Amount",
    unit_price: "Unit price",
    total: "Total",
    member_savings: "Member savings",
    points_payment: "Paid with points",
    payable: "Payable",
    change: "Change",
    points: "Points",
    points_unit: "pts",
    earned: "Earned",
    redeemed: "Redeemed",
    balance: "Balance",
    usable_from: "Usable from",
    happy_birthday: "Happy birthday",
    birthday_rates: "Birthday rates applied",
    group_purchase_note: "Group purchase: no member discount or points",
    non_cash_note: "Non-cash tender used: no member discount",
    cash: "Cash",
    bank_card: "Bank card",
    mobile_wallet: "Mobile wallet",
    gift_voucher: "Gift voucher",
    coupon: "Coupon",
    store_credit: "Store credit",
    refund_title: "Refund receipt",
    refund_no: "Refund",
    original_receipt: "Original receipt",
    refund_amount: "Refunded",
    points_reversed: "Points reversed",
    points_restored: "Points restored",
    points_owed: "Points owed",
    enrolment_title: "Membership enrolment",
    welcome: "Welcome to our membership!",
    issued_on: "Issued",
    valid_until: "Valid until",
    qualifying_receipts: "Qualifying receipts",
    qualifying_cash: "Same-day cash spend",
    welcome_gift_follows: "Welcome gift voucher printed separately",
    welcome_voucher_title: "Welcome gift voucher",
    voucher_no: "Voucher",
    gift: "Gift",
    collect_at_lounge: "Collect your gift at the VIP lounge",
    valid_once: "Valid once; copies are void",
    upgrade_title: "Membership upgrade",
    old_card: "Old card",
    new_card: "New card",
    from_tier: "From",
    to_tier: "To",
    qualifying_points: "Qualifying points",
    points_moved: "Points moved",
    old_card_void: "The old card is void from now on",
    loss_title: "Loss report confirmation",
    report_no: "Report",
    reported_at: "Reported",
    complete_by: "Complete by",
    card_blocked: "The card is blocked from now on.",
    blocked_after_deadline: "After that the card stays blocked and we will call you.",
    points_used_stay_used: "Points used before the report stay used.",
    replacement_title: "Card replacement",
    reason: "Reason",
    damaged: "Damaged card",
    lost: "Lost card",
    fee: "Fee",
    fee_waived: "Waived",
    new_card_from: "New card from",
    old_number_void: "The old card number is void for good",
    parking_title: "Parking ticket",
    ticket_no: "Ticket",
    valid_on: "Valid on",
    birthday_voucher_title: "Birthday gift voucher",
    exchange_voucher_title: "Gift exchange voucher",
    points_used: "Points used",
    summary_title: "Membership daily summary",
    operations: "Operations",
    sales: "Sales",
    sales_with_card: "Sales with card",
    card_sales_amount: "Card sales amount",
    points_earned: "Points earned",
    points_redeemed: "Points redeemed",
    new_members: "New members",
    replacement_fees: "Replacement fees",
    audit_head: "Audit chain",
    refund_total: "Refunded",
    op_sale: "Sale",
    op_refund: "Refund",
    op_enrolment: "Enrolment",
    op_upgrade: "Upgrade",
    op_reactivation: "Reactivation",
    op_loss_report: "Loss report",
    op_replacement: "Replacement",
    op_parking: "Parking",
    op_birthday_gift: "Birthday gift",
    op_gift_exchange: "Gift exchange",
    op_reprint: "Reprint",
    vip: "VIP",
    gold: "Gold",
    platinum: "Platinum",
};

/// The labels of `language`.
pub fn labels(language: Language) -> &'static Labels {
    match language {
        Language::Zh => &ZH,
        Language::En => &EN,
    }
}

impl Labels {
    /// The charter name of `tier`: 贵宾卡 / 金卡 / 白金卡.
    pub fn tier_name(&self, tier: Tier) -> &'static str {
        match tier {
            Tier::Vip => self.vip,
            Tier::Gold => self.gold,
            Tier::Platinum => self.platinum,
        }
    }

    /// A tender kind of the policy (`cash`, `bank_card`, …); a kind without a label prints as
    /// it is named in the policy.
    pub fn tender<'a>(&self, kind: &'a str) -> Cow<'a, str> {
        Cow::Borrowed(match kind {
            "cash" => self.cash,
            "bank_card" => self.bank_card,
            "mobile_wallet" => self.mobile_wallet,
            "gift_voucher" => self.gift_voucher,
            "coupon" => self.coupon,
            "store_credit" => self.store_credit,
            other => other,
        })
    }

    pub fn replacement_reason(&self, reason: ReplacementReason) -> &'static str {
        match reason {
            ReplacementReason::Damaged => self.damaged,
            ReplacementReason::Lost => self.lost,
        }
    }
}

/// Sentences with a value in them.
pub mod sentences {
    use super::Language;

    /// R-REP-2: come in with ID by the deadline.
    pub fn loss_deadline(language: Language, deadline: &str) -> String {
        match language {
            Language::Zh => format!("请于 {deadline} 前携带身份证件到本店办理补卡。"),
            Language::En => format!("Bring your ID to this store by {deadline} to get a new card."),
        }
    }

    /// Upgrade: the congratulation line.
    pub fn upgraded_to(language: Language, tier_name: &str) -> String {
        match language {
            Language::Zh => format!("恭喜您升级为{tier_name}会员！"),
            Language::En => format!("Congratulations: you are now a {tier_name} member!"),
        }
    }

    /// Parking: `hours` free hours per ticket.
    pub fn parking_hours(language: Language, hours: u32) -> String {
        match language {
            Language::Zh => format!("免费停车 {hours} 小时"),
            Language::En => format!("Free parking, {hours} h"),
        }
    }

    /// Parking: ticket `n` of `of`.
    pub fn ticket_of(language: Language, n: usize, of: usize) -> String {
        match language {
            Language::Zh => format!("第 {n}/{of} 张"),
            Language::En => format!("Ticket {n} of {of}"),
        }
    }

    /// Sale: points paid `value` (`points` points).
    pub fn points_payment(language: Language, points: i64) -> String {
        let l = super::labels(language);
        match language {
            Language::Zh => format!("{}({points}{})", l.points_payment, l.points_unit),
            Language::En => format!("{} ({points} {})", l.points_payment, l.points_unit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_labels_are_ascii() {
        // English mode prints in code page 437: keep every label plain ASCII.
        let dump = format!("{EN:?}");
        assert!(dump.is_ascii(), "{dump}");
    }

    #[test]
    fn tiers_and_tenders() {
        assert_eq!(ZH.tier_name(Tier::Platinum), "白金卡");
        assert_eq!(EN.tier_name(Tier::Vip), "VIP");
        assert_eq!(ZH.tender("mobile_wallet"), "移动支付");
        assert_eq!(EN.tender("gift_voucher"), "Gift voucher");
        assert_eq!(ZH.tender("loyalty_coupon"), "loyalty_coupon");
    }
}
