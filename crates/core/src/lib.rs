//! The Countersign app core: accounts, encrypted vault in the OS keystore, imports, exports, QR, push client.
#![forbid(unsafe_code)]
