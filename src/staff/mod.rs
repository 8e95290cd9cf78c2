//! Staff sign-in machinery: PIN hashing with the key file's pepper and the in-memory table
//! of open sessions. The rules (roles, lockout, PIN shape) are in `domain::staff`.

pub mod pin;
pub mod sessions;
