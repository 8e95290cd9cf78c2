//! The OpenAPI document, generated from the handlers' annotations and the types themselves.

use utoipa::OpenApi;

use super::{back_office, cards, members, printing, readers, sales, staff, tray};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Membership kiosk API",
        description = "Store membership kiosk: cards, checkout, lounge, replacement desk. Sign in with POST /api/sessions and send `Authorization: Bearer <token>`; a role without the permission gets 403 naming it; sensitive actions also need a supervisor's `X-Supervisor` + `X-Supervisor-Pin`. Amounts are strings in yuan with 2 decimals; errors are {error, rule, field}. Operations that print (sale, refund, enrolment, upgrade, loss report, replacement, parking, gifts) add `print`: the print job outcomes (see /api/print-jobs); a printer fault never undoes the operation."
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
        cards::withdraw_loss_report,
        cards::adjust_points,
        members::enrol,
        members::get,
        members::update_contact,
        members::search,
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
        staff::sign_in,
        staff::whoami,
        staff::sign_out,
        staff::list,
        staff::add,
        staff::change,
        staff::unlock,
        staff::reset_pin,
        back_office::publish_policy,
        back_office::audit_trail,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// Declares the bearer session token (from `POST /api/sessions`) as required by default.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "session",
            Vec::<String>::new(),
        )]);
    }
}
