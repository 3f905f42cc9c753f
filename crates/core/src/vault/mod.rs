//! The vault: one encrypted file holding every account and push activation.
//!
//! - Contents (`{accounts, activations}` as JSON) are sealed with AES-256-GCM under a random
//!   256-bit vault key; the whole header (magic, version, vault id, generation, key slots,
//!   nonce, length) is the associated data, so no header byte can change unnoticed.
//! - The vault key is recovered through key slots: a **keystore slot** (the key sealed under a
//!   key kept in the OS keystore) and/or a **password slot** (sealed under an Argon2id key).
//!   A vault always has at least one slot and is never written in plaintext.
//! - Every change is saved at once, atomically (see [`file`]); the previous generation is kept
//!   as `<file>.prev`. A change whose save fails is not applied in memory either.
//! - A damaged or modified file is reported as [`Error::VaultTampered`], left untouched, and
//!   [`Vault::open_previous`] offers the previous generation.
//!
//! The byte layout is in `FORMAT.md` (crate root) and [`format`].

mod contents;
mod crypto;
pub mod file;
pub mod format;

use std::fmt;
use std::path::{Path, PathBuf};

use countersign_oath::{Code, Kind};
use zeroize::Zeroizing;

pub use self::contents::{Contents, ContentsError};
use self::crypto::Key;
use self::file::Keep;
pub use self::format::KdfParams;
use self::format::{FormatError, HeaderInfo, KeystoreSlot, PasswordSlot, Slot, VaultFile};
use crate::account::{Account, AccountId, AccountPatch, Activation};
use crate::error::{Error, Result};
use crate::keystore;
use crate::password::Password;

/// The random id of a vault, fixed at creation. It names the vault's keystore entry.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VaultId([u8; 16]);

impl VaultId {
    /// The id's 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for VaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        uuid::Uuid::from_bytes(self.0).hyphenated().fmt(f)
    }
}

impl fmt::Debug for VaultId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VaultId({self})")
    }
}

/// How to make a new vault. At least one of `keystore` and `password` is needed.
///
/// ```
/// # use countersign_core::vault::CreateOptions;
/// # use countersign_core::Password;
/// let desktop = CreateOptions::default(); // keystore slot only
/// let headless = CreateOptions::password_only(Password::new("correct horse battery"));
/// # let _ = (desktop, headless);
/// ```
#[derive(Clone, Debug)]
pub struct CreateOptions {
    /// Make a keystore slot (the vault key's wrapping key goes into the OS keystore).
    pub keystore: bool,
    /// Make a password slot with this password.
    pub password: Option<Password>,
    /// Argon2id cost of the password slot. Leave at [`KdfParams::DEFAULT`] except in tests.
    pub kdf: KdfParams,
}

impl Default for CreateOptions {
    /// A keystore slot, no password.
    fn default() -> Self {
        CreateOptions {
            keystore: true,
            password: None,
            kdf: KdfParams::DEFAULT,
        }
    }
}

impl CreateOptions {
    /// A vault that opens only with its password (headless machines, no keystore).
    pub fn password_only(password: Password) -> Self {
        CreateOptions {
            keystore: false,
            password: Some(password),
            kdf: KdfParams::DEFAULT,
        }
    }

    /// Adds a password slot.
    pub fn with_password(mut self, password: Password) -> Self {
        self.password = Some(password);
        self
    }

    /// Sets the Argon2id cost (tests use [`KdfParams::INSECURE_FAST_FOR_TESTS`]).
    pub fn with_kdf(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }
}

/// What to open a vault with.
///
/// The keystore slot is tried first (when the vault has one and `keystore` is true), then the
/// password slot with `password`.
#[derive(Clone, Debug)]
pub struct Unlock {
    /// The password, for the password slot.
    pub password: Option<Password>,
    /// Try the keystore slot.
    pub keystore: bool,
}

impl Default for Unlock {
    /// Keystore only.
    fn default() -> Self {
        Unlock {
            password: None,
            keystore: true,
        }
    }
}

impl Unlock {
    /// The keystore slot only.
    pub fn keystore() -> Self {
        Unlock::default()
    }

    /// The keystore slot first, then this password.
    pub fn keystore_or_password(password: Password) -> Self {
        Unlock {
            password: Some(password),
            keystore: true,
        }
    }

    /// The password slot only; the keystore is not asked at all.
    pub fn password_only(password: Password) -> Self {
        Unlock {
            password: Some(password),
            keystore: false,
        }
    }
}

/// What a vault file's header says, read without unlocking it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultStatus {
    /// The file.
    pub path: PathBuf,
    /// Format version.
    pub version: u16,
    /// The vault's id.
    pub id: VaultId,
    /// Save counter (1 at creation).
    pub generation: u64,
    /// Has a keystore slot.
    pub keystore_slot: bool,
    /// The password slot's Argon2id parameters, when it has one.
    pub password_slot: Option<KdfParams>,
    /// A previous generation (`<file>.prev`) exists.
    pub previous_exists: bool,
}

/// An open, decrypted vault bound to its file.
///
/// Every mutating method saves before it returns; when the save fails, the vault in memory is
/// unchanged too (all or nothing). `Debug` shows no secret.
pub struct Vault {
    path: PathBuf,
    id: VaultId,
    key: Key,
    slots: Vec<Slot>,
    /// Generation of the file this vault last read or wrote.
    generation: u64,
    contents: Contents,
    /// Opened from `.prev`: the next save replaces the (damaged) current file.
    restoring: bool,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("id", &self.id)
            .field("generation", &self.generation)
            .field("accounts", &self.contents.accounts.len())
            .field("activations", &self.contents.activations.len())
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// Creates a new, empty vault at `path` (its folder is made if needed, mode 0700).
    ///
    /// Fails with [`Error::VaultExists`] rather than overwrite anything, with
    /// [`Error::KeystoreUnavailable`] (naming the fix) when a keystore slot was asked for and
    /// the keystore cannot be reached — in which case no file is written.
    pub fn create(path: impl Into<PathBuf>, options: CreateOptions) -> Result<Vault> {
        let path = path.into();
        if !options.keystore && options.password.is_none() {
            return Err(Error::InvalidInput(
                "a vault needs a keystore slot or a password (or both)".into(),
            ));
        }
        if options.password.as_ref().is_some_and(Password::is_empty) {
            return Err(Error::InvalidInput("the vault password is empty".into()));
        }
        if path.exists() {
            return Err(Error::VaultExists { path });
        }
        let id = VaultId(*uuid::Uuid::new_v4().as_bytes());
        let key = crypto::random_key();
        let mut slots = Vec::new();
        if let Some(password) = &options.password {
            slots.push(password_slot(&id, &key, password, options.kdf));
        }
        if options.keystore {
            slots.insert(0, keystore_slot_stored(&id, &key)?);
        }
        let mut vault = Vault {
            path,
            id,
            key,
            slots,
            generation: 0,
            contents: Contents::default(),
            restoring: false,
        };
        let contents = vault.contents.clone();
        if let Err(e) = vault.write(&contents, Keep::CreateNew) {
            if options.keystore {
                let _ = keystore::delete_key(&id);
            }
            return Err(e);
        }
        Ok(vault)
    }

    /// Opens and decrypts the vault at `path`.
    ///
    /// Errors: [`Error::VaultNotFound`]; [`Error::NotAVault`]; [`Error::UnsupportedVersion`];
    /// [`Error::VaultTampered`] (damaged or modified; carries the previous generation's path
    /// when there is one; the file is not touched); [`Error::PasswordRequired`] (the keystore
    /// could not unlock it and no password was given); [`Error::WrongPassword`]; the keystore
    /// errors when the vault has only a keystore slot.
    pub fn open(path: impl Into<PathBuf>, unlock: &Unlock) -> Result<Vault> {
        let path = path.into();
        let bytes = file::read(&path)?;
        let mut vault = Self::open_bytes(&path, &bytes, unlock)?;
        vault.path = path;
        Ok(vault)
    }

    /// Opens the previous generation (`<path>.prev`) of a vault whose current file is damaged.
    ///
    /// The vault returned is bound to `path`: its first save moves the damaged file to
    /// `<path>.damaged` (kept for inspection) and writes the restored contents to `path`,
    /// leaving `.prev` as it was. Nothing is written until then.
    pub fn open_previous(path: impl Into<PathBuf>, unlock: &Unlock) -> Result<Vault> {
        let path = path.into();
        let previous = file::previous_path(&path);
        let bytes = file::read(&previous)?;
        let mut vault = Self::open_bytes(&previous, &bytes, unlock)?;
        vault.path = path;
        vault.restoring = true;
        Ok(vault)
    }

    /// Reads a vault file's header without unlocking it (nothing about accounts is known).
    pub fn status(path: impl AsRef<Path>) -> Result<VaultStatus> {
        let path = path.as_ref();
        let bytes = file::read(path)?;
        let parsed = VaultFile::parse(&bytes).map_err(|e| format_error(path, e))?;
        Ok(status_of(path, &parsed.info, &parsed.slots))
    }

    /// The header-level status of this open vault.
    pub fn info(&self) -> VaultStatus {
        let info = HeaderInfo {
            version: format::VERSION,
            vault_id: self.id.0,
            generation: self.generation,
        };
        status_of(&self.path, &info, &self.slots)
    }

    /// The file this vault saves to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The generation of the file this vault last read or wrote: it grows by one with every
    /// save, so a caller can tell whether an operation saved.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The vault's id.
    pub fn id(&self) -> VaultId {
        self.id
    }

    /// Every account, in display order (by position).
    pub fn accounts(&self) -> &[Account] {
        &self.contents.accounts
    }

    /// One account.
    pub fn account(&self, id: AccountId) -> Result<&Account> {
        self.contents
            .accounts
            .iter()
            .find(|a| a.id == id)
            .ok_or(Error::AccountNotFound { id })
    }

    /// Accounts whose issuer, name or group contains `query` (case-insensitive), in order.
    pub fn find(&self, query: &str) -> Vec<&Account> {
        self.contents
            .accounts
            .iter()
            .filter(|a| a.matches(query))
            .collect()
    }

    /// The stored account `candidate` duplicates (same secret, issuer and name), if any.
    pub fn duplicate_of(&self, candidate: &Account) -> Option<AccountId> {
        self.contents
            .accounts
            .iter()
            .find(|a| a.is_duplicate_of(candidate))
            .map(|a| a.id)
    }

    /// Push activations.
    pub fn activations(&self) -> &[Activation] {
        &self.contents.activations
    }

    /// Saves the vault now (the mutating methods already do).
    pub fn save(&mut self) -> Result<()> {
        let contents = self.contents.clone();
        self.write_current(&contents)
    }

    /// Adds an account at the end and saves. Duplicates are allowed here: check
    /// [`Vault::duplicate_of`] first to skip them.
    pub fn add_account(&mut self, account: Account) -> Result<AccountId> {
        let mut ids = self.add_accounts(vec![account])?;
        // Invariant: add_accounts returns one id per account given.
        Ok(ids.remove(0))
    }

    /// Adds accounts at the end with one save: all are added or none.
    pub fn add_accounts(&mut self, accounts: Vec<Account>) -> Result<Vec<AccountId>> {
        self.commit(|c| {
            let mut ids = Vec::with_capacity(accounts.len());
            for mut account in accounts {
                if c.accounts.iter().any(|a| a.id == account.id) || ids.contains(&account.id) {
                    return Err(Error::InvalidInput(format!(
                        "account id {} is already in the vault",
                        account.id
                    )));
                }
                ids.push(account.id);
                account.position = u32::try_from(c.accounts.len()).unwrap_or(u32::MAX);
                c.accounts.push(account);
            }
            Ok(ids)
        })
    }

    /// Edits an account and saves.
    pub fn update_account(&mut self, id: AccountId, patch: AccountPatch) -> Result<()> {
        self.commit(|c| {
            patch.apply(c.account_mut(id)?);
            Ok(())
        })
    }

    /// Removes an account and saves; returns it.
    pub fn remove_account(&mut self, id: AccountId) -> Result<Account> {
        self.commit(|c| {
            let index = c
                .accounts
                .iter()
                .position(|a| a.id == id)
                .ok_or(Error::AccountNotFound { id })?;
            let removed = c.accounts.remove(index);
            c.renumber();
            Ok(removed)
        })
    }

    /// Puts the accounts in the order given and saves. `order` must list every account once.
    pub fn reorder(&mut self, order: &[AccountId]) -> Result<()> {
        self.commit(|c| {
            if order.len() != c.accounts.len() {
                return Err(Error::InvalidInput(format!(
                    "the new order lists {} accounts; the vault has {}",
                    order.len(),
                    c.accounts.len()
                )));
            }
            let mut reordered = Vec::with_capacity(order.len());
            for id in order {
                if reordered.iter().any(|a: &Account| a.id == *id) {
                    return Err(Error::InvalidInput(format!(
                        "account {id} appears twice in the new order"
                    )));
                }
                let index = c
                    .accounts
                    .iter()
                    .position(|a| a.id == *id)
                    .ok_or(Error::AccountNotFound { id: *id })?;
                reordered.push(c.accounts[index].clone());
            }
            c.accounts = reordered;
            c.renumber();
            Ok(())
        })
    }

    /// For an HOTP account: the code for the stored counter. The counter is advanced and saved
    /// before the code is returned, so a code is never shown twice.
    pub fn next_hotp(&mut self, id: AccountId) -> Result<Code> {
        self.commit(|c| {
            let account = c.account_mut(id)?;
            let Kind::Hotp { counter } = account.otp.kind else {
                return Err(Error::InvalidInput(format!(
                    "{} is not an HOTP (counter-based) account",
                    account.label()
                )));
            };
            let next = counter.checked_add(1).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "{}: the HOTP counter is exhausted",
                    account.label()
                ))
            })?;
            let code = account.otp.hotp(counter);
            account.otp.kind = Kind::Hotp { counter: next };
            Ok(code)
        })
    }

    /// Records that a code of the account was used at `now` (Unix seconds) and saves.
    pub fn touch(&mut self, id: AccountId, now: i64) -> Result<()> {
        self.commit(|c| {
            c.account_mut(id)?.last_used = Some(now);
            Ok(())
        })
    }

    /// Changes the push activations (add, remove, edit) with one all-or-nothing save.
    pub fn edit_activations<T>(
        &mut self,
        edit: impl FnOnce(&mut Vec<Activation>) -> Result<T>,
    ) -> Result<T> {
        self.commit(|c| edit(&mut c.activations))
    }

    /// Sets (`Some`) or removes (`None`) the password slot, with the default Argon2id cost, and
    /// saves. Removing it is refused when it is the only slot.
    pub fn set_password(&mut self, password: Option<Password>) -> Result<()> {
        self.set_password_with(password, KdfParams::DEFAULT)
    }

    /// [`Vault::set_password`] with an explicit Argon2id cost.
    pub fn set_password_with(&mut self, password: Option<Password>, kdf: KdfParams) -> Result<()> {
        let mut slots: Vec<Slot> = self
            .slots
            .iter()
            .filter(|s| !matches!(s, Slot::Password(_)))
            .cloned()
            .collect();
        match password {
            Some(p) if p.is_empty() => {
                return Err(Error::InvalidInput("the vault password is empty".into()))
            }
            Some(p) => slots.push(password_slot(&self.id, &self.key, &p, kdf)),
            None if !slots.iter().any(|s| matches!(s, Slot::Keystore(_))) => {
                return Err(Error::InvalidInput(
                    "the password is this vault's only key slot; add the keystore slot first"
                        .into(),
                ))
            }
            None => {}
        }
        self.replace_slots(slots)
    }

    /// Adds (`true`) or removes (`false`) the keystore slot and saves. Removing it is refused
    /// when it is the only slot; its keystore entry is deleted after the save.
    pub fn set_keystore(&mut self, enabled: bool) -> Result<()> {
        let has = self.slots.iter().any(|s| matches!(s, Slot::Keystore(_)));
        if has == enabled {
            return Ok(());
        }
        if enabled {
            let slot = keystore_slot_stored(&self.id, &self.key)?;
            let mut slots = self.slots.clone();
            slots.insert(0, slot);
            self.replace_slots(slots)
        } else {
            let slots: Vec<Slot> = self
                .slots
                .iter()
                .filter(|s| !matches!(s, Slot::Keystore(_)))
                .cloned()
                .collect();
            if !slots.iter().any(|s| matches!(s, Slot::Password(_))) {
                return Err(Error::InvalidInput(
                    "the keystore is this vault's only key slot; set a password first".into(),
                ));
            }
            self.replace_slots(slots)?;
            keystore::delete_key(&self.id)
        }
    }

    fn replace_slots(&mut self, slots: Vec<Slot>) -> Result<()> {
        let old = std::mem::replace(&mut self.slots, slots);
        if let Err(e) = self.save() {
            self.slots = old;
            return Err(e);
        }
        Ok(())
    }

    /// Applies `change` to a copy of the contents, saves the copy, and only then keeps it.
    fn commit<T>(&mut self, change: impl FnOnce(&mut Contents) -> Result<T>) -> Result<T> {
        let mut next = self.contents.clone();
        let out = change(&mut next)?;
        self.write_current(&next)?;
        self.contents = next;
        Ok(out)
    }

    fn write_current(&mut self, contents: &Contents) -> Result<()> {
        if self.restoring {
            self.write(contents, Keep::AsDamaged)?;
            self.restoring = false;
            return Ok(());
        }
        self.check_unchanged_on_disk()?;
        self.write(contents, Keep::AsPrevious)
    }

    /// Refuses to save over a generation this vault has not seen (another program saved).
    fn check_unchanged_on_disk(&self) -> Result<()> {
        let prefix = match file::read_prefix(&self.path, 64) {
            Ok(bytes) => bytes,
            // Deleted meanwhile: writing it again loses nothing.
            Err(Error::VaultNotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        match VaultFile::parse_info(&prefix) {
            Ok(info) if info.vault_id == self.id.0 && info.generation == self.generation => Ok(()),
            _ => Err(Error::VaultChanged {
                path: self.path.clone(),
            }),
        }
    }

    /// Seals `contents` as the next generation and writes it.
    fn write(&mut self, contents: &Contents, keep: Keep) -> Result<()> {
        if self.slots.len() > format::MAX_SLOTS {
            return Err(Error::InvalidInput("too many key slots".into()));
        }
        let mut plaintext = contents.to_json()?;
        if plaintext.len() > format::MAX_CIPHERTEXT - format::TAG_LEN {
            return Err(Error::InvalidInput(
                "the vault contents are too large to save (over 256 MiB)".into(),
            ));
        }
        let generation = self.generation + 1;
        let mut file = VaultFile {
            info: HeaderInfo {
                version: format::VERSION,
                vault_id: self.id.0,
                generation,
            },
            slots: self.slots.clone(),
            nonce: crypto::random_bytes(),
            ciphertext: Vec::new(),
        };
        let aad = file.header_bytes(plaintext.len() + format::TAG_LEN);
        crypto::seal(&self.key, file.nonce, &aad, &mut plaintext);
        // `plaintext` now holds only ciphertext; moving it out of the zeroizing wrapper is fine.
        file.ciphertext = std::mem::take(&mut *plaintext);
        file::write_atomically(&self.path, &file.to_bytes(), keep)?;
        self.generation = generation;
        Ok(())
    }

    /// Parses, unlocks and decrypts file bytes read from `path` (used for messages only).
    fn open_bytes(path: &Path, bytes: &[u8], unlock: &Unlock) -> Result<Vault> {
        let mut parsed = VaultFile::parse(bytes).map_err(|e| format_error(path, e))?;
        let id = VaultId(parsed.info.vault_id);
        let key = unlock_key(&id, &parsed.slots, unlock)?;
        let aad = parsed.header_bytes(parsed.ciphertext.len());
        let sealed = Zeroizing::new(std::mem::take(&mut parsed.ciphertext));
        let plaintext =
            crypto::open_in_place(&key, parsed.nonce, &aad, sealed).map_err(|_| tampered(path))?;
        let contents = Contents::from_json(&plaintext).map_err(|_| Error::VaultTampered {
            path: path.to_path_buf(),
            previous: previous_if_exists(path),
        })?;
        Ok(Vault {
            path: path.to_path_buf(),
            id,
            key,
            slots: parsed.slots,
            generation: parsed.info.generation,
            contents,
            restoring: false,
        })
    }
}

fn status_of(path: &Path, info: &HeaderInfo, slots: &[Slot]) -> VaultStatus {
    VaultStatus {
        path: path.to_path_buf(),
        version: info.version,
        id: VaultId(info.vault_id),
        generation: info.generation,
        keystore_slot: slots.iter().any(|s| matches!(s, Slot::Keystore(_))),
        password_slot: slots.iter().find_map(|s| match s {
            Slot::Password(p) => Some(p.kdf),
            _ => None,
        }),
        previous_exists: file::previous_path(path).exists(),
    }
}

fn keystore_slot_stored(id: &VaultId, vault_key: &Key) -> Result<Slot> {
    let keystore_key = crypto::random_key();
    let (nonce, wrapped_key) = crypto::wrap_for_keystore(&keystore_key, &id.0, vault_key);
    keystore::store_key(id, &keystore_key)?;
    Ok(Slot::Keystore(KeystoreSlot { nonce, wrapped_key }))
}

fn password_slot(id: &VaultId, vault_key: &Key, password: &Password, kdf: KdfParams) -> Slot {
    let (salt, nonce, wrapped_key) = crypto::wrap_for_password(password, &kdf, &id.0, vault_key);
    Slot::Password(PasswordSlot {
        kdf,
        salt,
        nonce,
        wrapped_key,
    })
}

/// Recovers the vault key: keystore slot first, then the password slot.
fn unlock_key(id: &VaultId, slots: &[Slot], unlock: &Unlock) -> Result<Key> {
    let keystore_slot = slots.iter().find_map(|s| match s {
        Slot::Keystore(k) => Some(k),
        _ => None,
    });
    let password_slot = slots.iter().find_map(|s| match s {
        Slot::Password(p) => Some(p),
        _ => None,
    });

    let mut keystore_error = None;
    if let (Some(slot), true) = (keystore_slot, unlock.keystore) {
        let attempt = keystore::load_key(id).and_then(|kek| {
            crypto::unwrap_from_keystore(&kek, &id.0, slot.nonce, &slot.wrapped_key)
                .map_err(|_| Error::KeystoreEntryMissing)
        });
        match attempt {
            Ok(key) => return Ok(key),
            Err(e) => keystore_error = Some(e),
        }
    }

    match (password_slot, &unlock.password) {
        (Some(slot), Some(password)) => crypto::unwrap_with_password(
            password,
            &slot.kdf,
            &slot.salt,
            &id.0,
            slot.nonce,
            &slot.wrapped_key,
        )
        .map_err(|_| Error::WrongPassword),
        (Some(_), None) => Err(Error::PasswordRequired),
        (None, _) => Err(keystore_error.unwrap_or_else(|| Error::NoUsableSlot {
            reason: if keystore_slot.is_some() {
                "the vault has only a keystore slot and the keystore was not to be used".into()
            } else {
                "the vault has no key slot this version knows".into()
            },
        })),
    }
}

fn previous_if_exists(path: &Path) -> Option<PathBuf> {
    let previous = file::previous_path(path);
    previous.exists().then_some(previous)
}

fn tampered(path: &Path) -> Error {
    Error::VaultTampered {
        path: path.to_path_buf(),
        previous: previous_if_exists(path),
    }
}

fn format_error(path: &Path, e: FormatError) -> Error {
    match e {
        FormatError::NotAVault => Error::NotAVault { path: path.into() },
        FormatError::UnsupportedVersion(version) => Error::UnsupportedVersion {
            path: path.into(),
            version,
        },
        _ => tampered(path),
    }
}
