//! OTP algorithms (HOTP, TOTP, Steam), otpauth:// and Google transfer URIs, token files. Pure: no I/O, no clock.
#![forbid(unsafe_code)]
