//! The chain as real processes: PostgreSQL, head office, two or three store kiosks, and a
//! fault-injecting TCP proxy in front of head office for each store. One test binary for
//! every chain test (build time): the proxy's own tests, the fault scenarios, and the
//! proptest state machine of sync over random operations, partitions and restarts.

#[path = "chain/fault_proxy.rs"]
mod fault_proxy;
#[path = "chain/harness.rs"]
mod harness;
