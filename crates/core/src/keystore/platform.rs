//! The native credential store of each platform.

use std::sync::Arc;

use keyring_core::CredentialStore;

/// What to tell the user when the keystore cannot be reached on this platform.
#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(super) const HINT: &str = "No Secret Service is running: start gnome-keyring or KWallet (a \
    desktop session normally does), or create a password-only vault with --password-stdin or \
    COUNTERSIGN_PASSWORD";
/// What to tell the user when the keystore cannot be reached on this platform.
#[cfg(any(target_os = "macos", target_os = "ios"))]
pub(super) const HINT: &str = "The Keychain could not be used: unlock it (Keychain Access) and \
    retry, or create a password-only vault with --password-stdin or COUNTERSIGN_PASSWORD";
/// What to tell the user when the keystore cannot be reached on this platform.
#[cfg(target_os = "windows")]
pub(super) const HINT: &str = "Windows Credential Manager could not be used: sign in to an \
    interactive session and retry, or create a password-only vault with --password-stdin or \
    COUNTERSIGN_PASSWORD";
/// What to tell the user when the keystore cannot be reached on this platform.
#[cfg(target_os = "android")]
pub(super) const HINT: &str = "The Android Keystore could not be used; set a vault password \
    instead";
/// What to tell the user when the keystore cannot be reached on this platform.
#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows",
    target_os = "android"
)))]
pub(super) const HINT: &str =
    "This platform has no supported keystore: create a password-only vault";

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
pub(super) fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = dbus_secret_service_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "macos")]
pub(super) fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::keychain::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "ios")]
pub(super) fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = apple_native_keyring_store::protected::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "windows")]
pub(super) fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = windows_native_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(target_os = "android")]
pub(super) fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
    let store: Arc<CredentialStore> = android_native_keyring_store::Store::new()?;
    Ok(store)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "ios",
    target_os = "windows",
    target_os = "android"
)))]
pub(super) fn new_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Err(keyring_core::Error::NoDefaultStore)
}
