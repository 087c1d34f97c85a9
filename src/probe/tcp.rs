//! `host:port`, `[v6addr]:port`, `tcp://host:port`: ready when a connection is accepted.
//!
//! The connection is closed at once without sending anything; for a service
//! that must answer before it counts as ready, use its own scheme.

use super::{Failure, connect};
use crate::target::Endpoint;

pub async fn check(endpoint: &Endpoint) -> Result<(), Failure> {
    connect(endpoint).await.map(drop)
}
