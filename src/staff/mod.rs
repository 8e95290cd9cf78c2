//! Staff sign-in machinery: PIN hashing with the key file's pepper, the in-memory table of
//! open sessions, the request rate limits and the PIN attempts kept in memory. The rules
//! (roles, lockout, PIN shape) are in `domain::staff`.

pub mod attempts;
pub mod pin;
pub mod rate_limit;
pub mod sessions;
