//! The OpenAPI document, generated from the handlers' annotations and the types themselves.

use utoipa::OpenApi;

use super::{back_office, cards, members, readers, sales, tray};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Membership kiosk API",
        description = "Store membership kiosk: cards, checkout, lounge, replacement desk. Amounts are strings in yuan with 2 decimals; errors are {error, rule, field}."
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
        readers::list,
        readers::events,
        readers::read,
        readers::rewrite,
        tray::view,
        tray::insert,
        tray::remove,
    )
)]
pub struct ApiDoc;
