//! Store ↔ head-office sync: the wire protocol, the pure sync plan (what to push, what was
//! acknowledged, what to apply), the head-office client seam with its HTTPS driver and an
//! in-memory double, the standing the kiosk reads, and the store's sync task.
pub mod client;
pub mod http_client;
pub mod memory;
pub mod plan;
pub mod protocol;
pub mod status;
pub mod task;
