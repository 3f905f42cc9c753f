//! Countersign push protocol v1: wire types, canonical signed strings, signature checks.
#![forbid(unsafe_code)]
