//! The OpenAPI document, generated from the handlers' annotations and the types themselves.

use utoipa::OpenApi;

use super::{back_office, cards, members, printing, readers, sales, tray};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Membership kiosk API",
        description = "Store membership kiosk: cards, checkout, lounge, replacement desk. Amounts are strings in yuan with 2 decimals; errors are {error, rule, field}. Operations that print (sale, refund, enrolment, upgrade, loss report, replacement, parking, gifts) add `print`: the print job outcomes (see /api/print-jobs); a printer fault never undoes the operation."
    ),
    paths(
        sales::quote,
        sales::commit,
        sales::refund,
        cards::get,
        cards::upgrade,
        cards::report_loss,
        cards::replace,
        cards::reactivate,
        cards::parking,
        cards::birthday_gift,
        cards::exchange_gift,
        members::enrol,
        members::get,
        members::update_contact,
        members::birthdays,
        back_office::run_review,
        back_office::policy,
        back_office::gifts,
        back_office::overdue_loss_reports,
        back_office::health,
        back_office::daily_summary,
        readers::list,
        readers::events,
        readers::read,
        readers::rewrite,
        tray::view,
        tray::insert,
        tray::remove,
        printing::list,
        printing::get,
        printing::preview,
        printing::retry,
        printing::reprint,
        printing::printers,
    )
)]
pub struct ApiDoc;
