//! Store ↔ head-office sync: the wire protocol, the pure sync plan (what to push, what was
//! acknowledged, what to apply), the head-office client seam, and the store's sync task.
pub mod client;
pub mod protocol;
