//! The store and its workstations as the counter UI needs them before anyone signs in: which
//! workstation a page may be opened as (tills, lounge, desk, back office), whether it has a
//! card reader and a printer, the store's time zone, the idle limit, and training mode.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::kiosk::Kiosk;

/// What a workstation is for: the UI opens that workstation's screens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkstationKind {
    Checkout,
    Lounge,
    Desk,
    BackOffice,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Workstation {
    pub id: String,
    pub kind: WorkstationKind,
    /// A card reader serves this workstation.
    pub reader: bool,
    /// A receipt printer of its own (otherwise the file spool).
    pub printer: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoreInfo {
    pub store_id: String,
    pub store_name: String,
    /// Store-local time offset from UTC, minutes (dates are shown in store time).
    pub utc_offset_minutes: i32,
    /// A session ends after this many idle minutes; the UI locks just before.
    pub session_idle_minutes: u32,
    /// Demo / training mode: the UI shows the training marker and the card tray.
    pub training: bool,
    pub workstations: Vec<Workstation>,
}

/// The till used when the configuration lets any till commit sales (`tills` empty).
const DEFAULT_TILL: &str = "T01";

/// The store and the workstations a page can be opened as (no personal data, no sign-in).
#[utoipa::path(get, path = "/api/store", security(()), tag = "staff", responses((status = 200, body = StoreInfo)))]
pub async fn store(State(k): State<Kiosk>) -> Json<StoreInfo> {
    let c = &k.config;
    let tills: Vec<&str> = if c.tills.is_empty() {
        vec![DEFAULT_TILL]
    } else {
        c.tills.iter().map(String::as_str).collect()
    };
    let fixed = [
        ("lounge", WorkstationKind::Lounge),
        ("desk", WorkstationKind::Desk),
        ("back-office", WorkstationKind::BackOffice),
    ];
    let workstations = tills
        .into_iter()
        .map(|id| (id, WorkstationKind::Checkout))
        .chain(fixed)
        .map(|(id, kind)| Workstation {
            id: id.to_owned(),
            kind,
            reader: c.readers.iter().any(|r| r.workstation == id),
            printer: c.printers.iter().any(|p| p.workstation == id),
        })
        .collect();
    Json(StoreInfo {
        store_id: c.store_id.clone(),
        store_name: c.store_name.clone(),
        utc_offset_minutes: c.utc_offset_minutes,
        session_idle_minutes: c.session_idle_minutes,
        training: k.tray.is_some(),
        workstations,
    })
}
