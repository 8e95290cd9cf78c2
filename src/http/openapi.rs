//! The OpenAPI document, generated from the handlers' annotations (see `http::routes`) and
//! the types themselves, then completed with the answers every operation of a kind can give
//! (401/403/429 of the guard, 400/413/415/422 of a body, …) and the `print` field of the
//! answers of operations that print. Served at `/api/openapi.json`; the guard's access table
//! is read from it.

use std::sync::OnceLock;

use axum::Json;
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use super::error::ErrorBody;
use crate::flows::printing::PrintOutcome;

/// Marks an operation whose calls count against the per-session lookup limit (429).
pub const LOOKUP_LIMIT: &str = "x-lookup-limit";
/// Marks an operation that may take a supervisor's PIN (`X-Supervisor`, `X-Supervisor-Pin`):
/// approvals are rate-limited per clerk and per supervisor (429).
pub const SUPERVISOR_PIN: &str = "x-supervisor-pin";
/// Marks an operation whose answer carries `print`: the print job outcomes.
pub const PRINTS: &str = "x-prints";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Membership kiosk API",
        description = "Store membership kiosk: cards, checkout, lounge, replacement desk. Sign in with POST /api/sessions and send `Authorization: Bearer <token>`. Each operation's `security` names the permission it needs (`session` with a permission, e.g. `card.lookup`; `session` with none: any signed-in staff; `{}`: public); a role without it gets 403 naming it; sensitive actions also need a supervisor's `X-Supervisor` + `X-Supervisor-Pin`. Amounts are strings in yuan with 2 decimals. Every error is the JSON `ErrorBody` {error, code, rule, field}: `code` is stable (the rule id for a rule refusal) and listed in its schema. Operations that print (`x-prints`: sale, refund, enrolment, upgrade, loss report, replacement, parking, gifts, daily summary) add `print`: the print job outcomes (see /api/print-jobs); a printer fault never undoes the operation. Operations marked `x-lookup-limit` count against the per-session lookup limit; those marked `x-supervisor-pin` take a supervisor's PIN, whose approvals are rate-limited per clerk and per supervisor."
    ),
    components(schemas(ErrorBody, PrintOutcome)),
    modifiers(&SessionAuth)
)]
pub struct ApiDoc;

/// Declares the bearer session token (from `POST /api/sessions`). Each operation states its
/// own requirement: there is no default, and one without is refused (fail closed).
struct SessionAuth;

impl utoipa::Modify for SessionAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "back office", security(()),
    responses((status = 200, description = "the OpenAPI 3.1 document of this API")))]
pub async fn document() -> Json<&'static Value> {
    Json(api_document())
}

/// The document, built once from the routes.
pub fn api_document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, doc) = super::routes().split_for_parts();
        let mut doc = serde_json::to_value(doc).unwrap_or_default();
        complete(&mut doc);
        doc
    })
}

/// Adds the answers operations give by their kind, and `print` to printing answers.
fn complete(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            let common = common_answers(op);
            let prints = op_flag(op, PRINTS);
            let responses = op
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            if let Some(responses) = responses {
                for (status, description) in common {
                    responses
                        .entry(status)
                        .or_insert_with(|| error_response(description));
                }
                if prints {
                    add_print(responses);
                }
            }
        }
    }
}

fn op_flag(op: &Map<String, Value>, flag: &str) -> bool {
    op.get(flag).and_then(Value::as_bool).unwrap_or(false)
}

/// The statuses an operation can answer because of what it is, whatever its handler does.
fn common_answers(op: &Map<String, Value>) -> Vec<(&'static str, &'static str)> {
    let mut answers = vec![("500", "a fault on our side; nothing was changed")];
    let public = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|reqs| {
            reqs.iter()
                .any(|r| r.as_object().is_some_and(Map::is_empty))
        });
    if !public {
        answers.push(("401", "not signed in, or the session expired"));
        answers.push(("403", "the role lacks the permission this needs"));
    }
    if op_flag(op, LOOKUP_LIMIT) {
        answers.push(("429", "too many lookups: wait `Retry-After` seconds"));
    }
    if op_flag(op, SUPERVISOR_PIN) {
        answers.push((
            "429",
            "too many supervisor-PIN approvals: wait `Retry-After` seconds",
        ));
    }
    let params = op.get("parameters").and_then(Value::as_array);
    let has_param = |place: &str| {
        params.is_some_and(|ps| {
            ps.iter()
                .any(|p| p.get("in").and_then(Value::as_str) == Some(place))
        })
    };
    if has_param("query") || has_param("path") {
        answers.push(("400", "a query or path parameter that does not parse"));
    }
    if has_param("path") {
        answers.push(("404", "no such record (the path parameter names it)"));
    }
    if op.contains_key("requestBody") {
        answers.push(("400", "malformed JSON"));
        answers.push(("413", "body over the size limit"));
        answers.push(("415", "not `Content-Type: application/json`"));
        answers.push(("422", "a body of the wrong shape (the field is named)"));
    }
    answers
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }
    })
}

/// The success answers of a printing operation: the result, plus `print`.
fn add_print(responses: &mut Map<String, Value>) {
    let print = json!({
        "type": "object",
        "required": ["print"],
        "properties": {
            "print": {
                "type": "array",
                "description": "what became of each slip printed (a fault never undoes the operation)",
                "items": { "$ref": "#/components/schemas/PrintOutcome" }
            }
        }
    });
    for (status, response) in responses.iter_mut() {
        if !status.starts_with('2') {
            continue;
        }
        let Some(schema) = response.pointer_mut("/content/application~1json/schema") else {
            continue;
        };
        *schema = json!({ "allOf": [schema.take(), print.clone()] });
    }
}
