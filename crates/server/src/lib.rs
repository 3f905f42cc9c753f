//! `countersign-server`: the self-hosted Countersign MFA server.
//!
//! * [`serve`] runs the HTTP(S) server: the relying-party API, the device push API
//!   (`countersign_protocol`), `/openapi.json`, `/healthz` and `/metrics`.
//! * [`admin`] holds the admin commands the binary offers next to `serve`.
//!
//! See `docs/server.md` in the repository for the operator's guide.
#![forbid(unsafe_code)]

pub mod accept;
pub mod admin;
pub mod api;
pub mod config;
pub mod error;
pub mod http1;
pub mod hub;
pub mod listen;
pub mod state;
pub mod store;
pub mod tls;
pub mod verify;

mod serve;
pub use serve::{prepare, serve, Prepared, ServeError};
