//! zerocam's own HTTP/1.1 responder on smol: a fixed client table, one task per connection,
//! one housekeeper enforcing deadlines. See docs/ARCHITECTURE.md.

mod accept_log;
mod auth;
pub mod clients;
mod connection;
mod fd_limit;
mod frame_send;
mod housekeeping;
mod metrics;
mod pages;
pub mod request;
pub mod response;
mod rollback;
pub mod routes;
mod server;
mod shared;
mod socket_queue;
pub mod status;
mod stream;
mod update;
pub mod viewer_auth;
mod write;

pub use server::{accept_loop, bind, ServerHealth};
pub use shared::{HttpCounters, Shared};
pub use stream::BOUNDARY;
