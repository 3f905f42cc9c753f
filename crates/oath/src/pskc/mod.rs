//! PSKC (RFC 6030, Portable Symmetric Key Container): the XML files in which vendors ship the
//! seeds of hardware OATH tokens.
//!
//! # What is read
//!
//! A `KeyContainer` holds `KeyPackage`s; each has a `DeviceInfo` (manufacturer, serial number,
//! model, user) and one `Key` with an `Algorithm` URN (`urn:ietf:params:xml:ns:keyprov:pskc:hotp`
//! or `...:totp`), an `Issuer`, `AlgorithmParameters/ResponseFormat` (encoding, length = digits,
//! check digit, `Suite` naming the HMAC hash), and `Data`: `Secret` (base64), `Counter`, `Time`,
//! `TimeInterval`, `TimeDrift`. Each data value is a `PlainValue` or an `EncryptedValue`
//! (`EncryptionMethod@Algorithm` + `CipherData/CipherValue`, base64) with an optional
//! `ValueMAC`.
//!
//! Element names are matched without their namespace, so the RFC namespace
//! (`urn:ietf:params:xml:ns:keyprov:pskc`) and the older draft layouts that vendors still ship
//! (`SecretContainer`, `Device`/`DeviceId`, `Secret`/`KeyId`/`KeyAlgorithm`,
//! `<Data Name="SECRET"><Value>`, `Usage/ResponseFormat@format`, `DigestMethod`,
//! `ValueDigest`, `PBESalt`/`PBEIterationCount`) read the same way.
//!
//! # Encryption (RFC 6030 sections 6.1 and 6.2)
//!
//! - Pre-shared key (`EncryptionKey/KeyName`): the caller supplies the key bytes.
//! - Password (`EncryptionKey/DerivedKey` with PBKDF2 parameters: salt, iteration count, key
//!   length, PRF): the caller supplies the password; the key is derived once per file.
//! - Ciphers: AES-128/192/256, Triple-DES and Camellia-128/192/256 in CBC mode (the IV is the
//!   first block of `CipherValue`, PKCS #7 padding), and the key wraps `kw-aes*` (RFC 3394),
//!   `kw-camellia*` (RFC 3657) and `kw-tripledes` (RFC 3217).
//! - MAC (`MACMethod`, HMAC-SHA1/224/256/384/512): the MAC key is itself an `EncryptedValue`
//!   under the encryption key (or, in older files, the encryption key itself); every `ValueMAC`
//!   is the HMAC of `CipherValue` (IV included). A mismatch refuses the whole file. As older
//!   drafts computed the MAC over the plaintext, that is accepted as well.
//!
//! XML with a DTD is refused (no entity expansion).

mod crypto;

use base64::Engine as _;
use roxmltree::Node;
use zeroize::Zeroizing;

use crate::Secret;
use crypto::{Cipher, MacAlgorithm};

/// A parsed PSKC file: its keys, decrypted.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Container {
    /// The `Version` attribute (`1.0` for RFC 6030), if any.
    pub version: Option<String>,
    /// The container's `Id`, if any.
    pub id: Option<String>,
    /// How the secrets were protected in the file.
    pub protection: Protection,
    /// The keys, in file order.
    pub keys: Vec<Key>,
}

/// How a PSKC file protects its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protection {
    /// Secrets are in plaintext (`PlainValue`).
    Plain,
    /// Secrets are encrypted under a pre-shared key the user supplies.
    PreSharedKey,
    /// Secrets are encrypted under a key derived from a password (PBKDF2).
    Password,
}

/// One key (one token) from a PSKC file.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Key {
    /// The key's `Id`.
    pub id: Option<String>,
    /// The OTP algorithm the key is for.
    pub algorithm: Option<KeyAlgorithm>,
    /// Device serial number (`DeviceInfo/SerialNo`).
    pub serial: Option<String>,
    /// Device manufacturer.
    pub manufacturer: Option<String>,
    /// Device model.
    pub model: Option<String>,
    /// Key issuer (`Issuer`).
    pub issuer: Option<String>,
    /// Human-readable name (`FriendlyName`).
    pub friendly_name: Option<String>,
    /// The user the key (or, failing that, the device) is bound to.
    pub user_id: Option<String>,
    /// The secret, decrypted.
    pub secret: Option<Secret>,
    /// HOTP moving factor.
    pub counter: Option<u64>,
    /// TOTP start time / time value (`Time`).
    pub time: Option<u64>,
    /// TOTP time step in seconds.
    pub time_interval: Option<u64>,
    /// Device clock drift in time steps (`TimeDrift`).
    pub time_drift: Option<i64>,
    /// `AlgorithmParameters/Suite`, e.g. `HMAC-SHA256`.
    pub suite: Option<String>,
    /// The response format: encoding and length (digits).
    pub response: Option<ResponseFormat>,
}

/// The OTP algorithm a key's `Algorithm` URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// HOTP (RFC 4226).
    Hotp,
    /// TOTP (RFC 6238).
    Totp,
    /// Anything else (OCRA, vendor algorithms), kept as the URI.
    Other(String),
}

impl KeyAlgorithm {
    /// Reads an algorithm URI: any of the namespaces ending in `hotp` / `totp` after `:`, `#`
    /// or `/` (`urn:ietf:params:xml:ns:keyprov:pskc:hotp`, `http://www.ietf.org/keyprov/pskc#totp`).
    pub fn from_uri(uri: &str) -> KeyAlgorithm {
        let tail = uri
            .rsplit([':', '#', '/'])
            .next()
            .unwrap_or(uri)
            .trim()
            .to_ascii_lowercase();
        match tail.as_str() {
            "hotp" => KeyAlgorithm::Hotp,
            "totp" => KeyAlgorithm::Totp,
            _ => KeyAlgorithm::Other(uri.to_owned()),
        }
    }
}

/// A key's response format.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseFormat {
    /// `DECIMAL`, `HEXADECIMAL`, `ALPHANUMERIC`, `BASE64` or `BINARY`, upper-cased.
    pub encoding: Option<String>,
    /// Length of the response (the number of digits for DECIMAL).
    pub length: Option<u32>,
    /// Whether a Luhn check digit is appended.
    pub check_digit: bool,
}

/// What decrypts an encrypted PSKC file.
#[derive(Clone, Copy, Default)]
pub enum Credential<'a> {
    /// Nothing: only plaintext files can be read.
    #[default]
    None,
    /// The pre-shared key bytes.
    Key(&'a [u8]),
    /// The password (UTF-8 bytes).
    Password(&'a [u8]),
}

impl std::fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credential::None => "Credential::None",
            Credential::Key(_) => "Credential::Key(..redacted..)",
            Credential::Password(_) => "Credential::Password(..redacted..)",
        })
    }
}

/// Why a PSKC file was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum PskcError {
    /// The file is not well-formed XML (or carries a DTD).
    #[error("not well-formed XML: {0}")]
    Xml(String),
    /// The root element is not a `KeyContainer`.
    #[error("not a PSKC file: the root element is <{0}>, expected <KeyContainer>")]
    NotPskc(String),
    /// The container declares a version other than 1.0.
    #[error("unsupported PSKC version {0:?} (only 1.0 is defined)")]
    UnsupportedVersion(String),
    /// A value is missing or malformed.
    #[error("malformed PSKC{}: {reason}", key_label(.key))]
    Malformed {
        /// The key's `Id`, when the problem is inside one key.
        key: Option<String>,
        /// What is wrong.
        reason: String,
    },
    /// The secrets are encrypted with a pre-shared key, and none was given.
    #[error("the secrets are encrypted with a pre-shared key{}: supply it (hex) to import", key_name_label(.key_name))]
    KeyRequired {
        /// The `KeyName` the file gives the key, to help find it.
        key_name: Option<String>,
    },
    /// The secrets are encrypted with a password-derived key, and no password was given.
    #[error("the secrets are encrypted with a password: supply it to import")]
    PasswordRequired,
    /// The supplied key has the wrong length for the file's cipher.
    #[error("the key is {actual} bytes long, the file's cipher needs {expected}")]
    WrongKeyLength {
        /// Bytes the cipher needs.
        expected: usize,
        /// Bytes supplied.
        actual: usize,
    },
    /// Decryption failed: wrong key or password, or the file was damaged.
    #[error("decryption failed: wrong key or password, or the file is damaged")]
    DecryptionFailed,
    /// A `ValueMAC` does not match: the file was altered or the key is wrong.
    #[error("MAC check failed{}: the file was altered or the key is wrong", key_label(.key))]
    MacMismatch {
        /// The key whose value failed the check.
        key: Option<String>,
    },
    /// The file uses an encryption algorithm this reader does not implement.
    #[error("unsupported encryption algorithm {0:?}")]
    UnsupportedEncryption(String),
    /// The file uses a MAC algorithm this reader does not implement.
    #[error("unsupported MAC algorithm {0:?}")]
    UnsupportedMac(String),
    /// The file uses a key derivation this reader does not implement.
    #[error("unsupported key derivation {0:?}")]
    UnsupportedKeyDerivation(String),
}

fn key_label(key: &Option<String>) -> String {
    key.as_ref()
        .map(|k| format!(" (key {k:?})"))
        .unwrap_or_default()
}

fn key_name_label(name: &Option<String>) -> String {
    name.as_ref()
        .map(|k| format!(" named {k:?}"))
        .unwrap_or_default()
}

/// Parses a PSKC document, decrypting its values with `credential` when they are encrypted.
pub fn parse(xml: &str, credential: Credential<'_>) -> Result<Container, PskcError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| PskcError::Xml(e.to_string()))?;
    let root = doc.root_element();
    let tag = root.tag_name().name();
    if tag != "KeyContainer" && tag != "SecretContainer" {
        return Err(PskcError::NotPskc(tag.to_owned()));
    }
    let version = attr(root, &["Version", "version"]);
    if tag == "KeyContainer" {
        if let Some(v) = &version {
            if v != "1" && v != "1.0" {
                return Err(PskcError::UnsupportedVersion(v.clone()));
            }
        }
    }
    let mut keys = KeyState::new(root, credential)?;
    let mut out = Vec::new();
    for package in children(root, &["KeyPackage", "Device"]) {
        let info = child(package, &["DeviceInfo", "DeviceId"]);
        let device = |name: &str| info.and_then(|i| text(i, &[name]));
        let device_user = device("UserId");
        for key_node in children(package, &["Key", "Secret"]) {
            let mut key = keys.read_key(key_node)?;
            key.serial = device("SerialNo");
            key.manufacturer = device("Manufacturer");
            key.model = device("Model");
            if key.user_id.is_none() {
                key.user_id = device_user.clone();
            }
            out.push(key);
        }
    }
    Ok(Container {
        version,
        id: attr(root, &["Id", "ID", "id"]),
        protection: keys.protection,
        keys: out,
    })
}

/// Reads the `Protection` of a document without decrypting it (to know whether to ask for a key
/// or a password before importing).
pub fn protection(xml: &str) -> Result<Protection, PskcError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| PskcError::Xml(e.to_string()))?;
    let root = doc.root_element();
    Ok(KeyState::new(root, Credential::None)?.protection)
}

/// Where the encryption key comes from, and what MACs are checked with.
struct KeyState<'a> {
    protection: Protection,
    credential: Credential<'a>,
    key_name: Option<String>,
    /// The container-level algorithm (legacy files name it only there).
    container_cipher: Option<String>,
    /// A container-level IV (legacy files).
    legacy_iv: Option<Vec<u8>>,
    derivation: Option<Pbkdf2Params>,
    /// Encryption key, derived or copied once.
    key: Option<Zeroizing<Vec<u8>>>,
    mac: Option<MacAlgorithm>,
    /// The encrypted MAC key (algorithm URI, cipher value), if the file carries one.
    mac_key_encrypted: Option<(Option<String>, Vec<u8>)>,
    mac_key: Option<Zeroizing<Vec<u8>>>,
}

struct Pbkdf2Params {
    salt: Vec<u8>,
    iterations: u32,
    key_len: Option<usize>,
    prf: Option<String>,
}

impl<'a> KeyState<'a> {
    fn new(root: Node<'_, '_>, credential: Credential<'a>) -> Result<KeyState<'a>, PskcError> {
        let mut state = KeyState {
            protection: Protection::Plain,
            credential,
            key_name: None,
            container_cipher: None,
            legacy_iv: None,
            derivation: None,
            key: None,
            mac: None,
            mac_key_encrypted: None,
            mac_key: None,
        };
        if let Some(enc) = child(root, &["EncryptionKey", "EncryptionMethod"]) {
            state.protection = Protection::PreSharedKey;
            state.container_cipher = attr(enc, &["Algorithm", "algorithm"]);
            state.key_name = text(enc, &["KeyName"]).or_else(|| {
                child(enc, &["DerivedKey"]).and_then(|d| {
                    text(d, &["MasterKeyName"]).or_else(|| text(d, &["CarriedKeyName"]))
                })
            });
            state.legacy_iv = binary(enc, &["IV"], None)?;
            if let Some(method) =
                child(enc, &["DerivedKey"]).and_then(|d| child(d, &["KeyDerivationMethod"]))
            {
                let algorithm = attr(method, &["Algorithm"]).unwrap_or_default();
                if crypto::normalise(&algorithm) != "pbkdf2" {
                    return Err(PskcError::UnsupportedKeyDerivation(algorithm));
                }
                let params = child(method, &["PBKDF2-params"]).ok_or_else(|| {
                    malformed(None, "PBKDF2 key derivation without PBKDF2-params")
                })?;
                let salt = child(params, &["Salt"])
                    .and_then(|s| child(s, &["Specified"]))
                    .map(|s| base64(s, None, "PBKDF2 salt"))
                    .transpose()?
                    .ok_or_else(|| malformed(None, "PBKDF2 parameters without a salt"))?;
                let iterations = integer(params, &["IterationCount"], None)?.ok_or_else(|| {
                    malformed(None, "PBKDF2 parameters without an iteration count")
                })?;
                let key_len = integer(params, &["KeyLength"], None)?;
                state.derivation = Some(Pbkdf2Params {
                    salt,
                    iterations: u32::try_from(iterations).unwrap_or(u32::MAX),
                    key_len: key_len.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
                    // The xmlenc11 schema puts the PRF in an Algorithm attribute; some
                    // writers put it in the element text.
                    prf: child(params, &["PRF"])
                        .and_then(|p| attr(p, &["Algorithm"]).or_else(|| text(params, &["PRF"]))),
                });
            } else if let Some(salt) = binary(enc, &["PBESalt"], None)? {
                // Older drafts: <EncryptionMethod Algorithm="...#pbe-..."><PBESalt/><PBEIterationCount/>
                let iterations = integer(enc, &["PBEIterationCount"], None)?
                    .ok_or_else(|| malformed(None, "PBESalt without PBEIterationCount"))?;
                state.derivation = Some(Pbkdf2Params {
                    salt,
                    iterations: u32::try_from(iterations).unwrap_or(u32::MAX),
                    // `PBE-3DES112-CBC` / `PBE-3DES168-CBC` name their key length.
                    key_len: state.container_cipher.as_deref().and_then(|a| {
                        let a = a.to_ascii_lowercase();
                        if a.contains("3des112") {
                            Some(16)
                        } else if a.contains("3des168") {
                            Some(24)
                        } else {
                            None
                        }
                    }),
                    prf: None,
                });
            }
            if state.derivation.is_some() {
                state.protection = Protection::Password;
            }
        }
        if let Some(method) = child(root, &["MACMethod", "DigestMethod"]) {
            if let Some(alg) = attr(method, &["Algorithm", "algorithm"]) {
                state.mac = Some(MacAlgorithm::from_uri(&alg)?);
            }
            if let Some(mac_key) = child(method, &["MACKey"]) {
                state.mac_key_encrypted = Some(encrypted_value(mac_key, None)?);
            }
        }
        if let Some(alg) = text(root, &["MACAlgorithm"]) {
            state.mac = Some(MacAlgorithm::from_uri(&alg)?);
        }
        Ok(state)
    }

    fn encryption_key(&mut self, cipher: Cipher) -> Result<&[u8], PskcError> {
        if self.key.is_none() {
            let key = match (&self.derivation, self.credential) {
                (Some(params), Credential::Password(password)) => crypto::pbkdf2(
                    params.prf.as_deref(),
                    password,
                    &params.salt,
                    params.iterations,
                    params.key_len.unwrap_or_else(|| cipher.default_key_len()),
                )?,
                (Some(_), _) => return Err(PskcError::PasswordRequired),
                (None, Credential::Key(key)) => Zeroizing::new(key.to_vec()),
                (None, _) => {
                    return Err(PskcError::KeyRequired {
                        key_name: self.key_name.clone(),
                    })
                }
            };
            self.key = Some(key);
        }
        // Invariant: set just above when it was None.
        Ok(self.key.as_deref().map(Vec::as_slice).unwrap_or_default())
    }

    fn decrypt(
        &mut self,
        algorithm: Option<&str>,
        cipher_value: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, PskcError> {
        let uri = algorithm
            .map(str::to_owned)
            .or_else(|| self.container_cipher.clone())
            .ok_or_else(|| malformed(None, "encrypted value without an encryption algorithm"))?;
        let cipher = Cipher::from_uri(&uri)?;
        let legacy_iv = self.legacy_iv.clone();
        let key = self.encryption_key(cipher)?;
        cipher.decrypt(key, cipher_value, legacy_iv.as_deref())
    }

    fn mac_key(&mut self) -> Result<Zeroizing<Vec<u8>>, PskcError> {
        if self.mac_key.is_none() {
            let key = match self.mac_key_encrypted.clone() {
                Some((alg, value)) => self.decrypt(alg.as_deref(), &value)?,
                None => self
                    .key
                    .clone()
                    .ok_or_else(|| malformed(None, "a ValueMAC but no MAC key"))?,
            };
            self.mac_key = Some(key);
        }
        Ok(self.mac_key.clone().unwrap_or_default())
    }

    fn read_key(&mut self, node: Node<'_, '_>) -> Result<Key, PskcError> {
        let id = attr(node, &["Id", "KeyId", "SecretId"]);
        let mut key = Key {
            algorithm: attr(node, &["Algorithm", "KeyAlgorithm", "SecretAlgorithm"])
                .map(|a| KeyAlgorithm::from_uri(&a)),
            issuer: text(node, &["Issuer"]),
            friendly_name: text(node, &["FriendlyName"]),
            user_id: text(node, &["UserId"]),
            suite: child(node, &["AlgorithmParameters"]).and_then(|p| text(p, &["Suite"])),
            ..Key::default()
        };
        let response = child(node, &["AlgorithmParameters", "Usage"])
            .and_then(|p| child(p, &["ResponseFormat"]))
            .or_else(|| child(node, &["Usage"]).and_then(|p| child(p, &["ResponseFormat"])));
        if let Some(rf) = response {
            let length = attr(rf, &["Length", "length"])
                .map(|l| {
                    l.trim().parse::<u32>().map_err(|_| {
                        malformed(
                            id.as_deref(),
                            &format!("response length {l:?} is not a number"),
                        )
                    })
                })
                .transpose()?;
            key.response = Some(ResponseFormat {
                encoding: attr(rf, &["Encoding", "Format", "format"])
                    .map(|e| e.trim().to_ascii_uppercase()),
                length,
                check_digit: attr(rf, &["CheckDigits", "CheckDigit"])
                    .is_some_and(|v| matches!(v.trim(), "true" | "1")),
            });
        }
        for data in children(node, &["Data"]) {
            // RFC 6030: <Data><Secret>..</Secret><Counter>..</Counter>..</Data>
            for field in data.children().filter(Node::is_element) {
                self.read_field(&mut key, id.as_deref(), field.tag_name().name(), field)?;
            }
            // Older drafts: <Data Name="SECRET"><Value>..</Value></Data>
            if let Some(name) = attr(data, &["Name"]) {
                let field = match name.to_ascii_lowercase().as_str() {
                    "secret" => "Secret",
                    "counter" => "Counter",
                    "time" => "Time",
                    "time_interval" | "timeinterval" => "TimeInterval",
                    "time_drift" | "timedrift" => "TimeDrift",
                    _ => continue,
                };
                self.read_field(&mut key, id.as_deref(), field, data)?;
            }
        }
        key.id = id;
        Ok(key)
    }

    fn read_field(
        &mut self,
        key: &mut Key,
        id: Option<&str>,
        field: &str,
        node: Node<'_, '_>,
    ) -> Result<(), PskcError> {
        if !matches!(
            field,
            "Secret" | "Counter" | "Time" | "TimeInterval" | "TimeDrift"
        ) {
            return Ok(());
        }
        let Some(bytes) = self.value_bytes(id, field, node)? else {
            return Ok(());
        };
        let what = field;
        match field {
            "Secret" => {
                if bytes.is_empty() {
                    return Err(malformed(id, "the secret is empty"));
                }
                key.secret = Some(Secret::from_bytes(bytes.to_vec()));
            }
            _ => {
                let n = decode_integer(&bytes)
                    .ok_or_else(|| malformed(id, &format!("{what} is not an integer")))?;
                let unsigned =
                    || u64::try_from(n).map_err(|_| malformed(id, &format!("{what} is negative")));
                match field {
                    "Counter" => key.counter = Some(unsigned()?),
                    "Time" => key.time = Some(unsigned()?),
                    "TimeInterval" => key.time_interval = Some(unsigned()?),
                    _ => {
                        key.time_drift = Some(
                            i64::try_from(n)
                                .map_err(|_| malformed(id, "TimeDrift is out of range"))?,
                        )
                    }
                }
            }
        }
        Ok(())
    }

    /// The plaintext bytes of a data value: a `PlainValue` (base64 for the secret, decimal text
    /// for integers), or a decrypted and MAC-checked `EncryptedValue`.
    fn value_bytes(
        &mut self,
        id: Option<&str>,
        field: &str,
        node: Node<'_, '_>,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, PskcError> {
        let is_secret = field == "Secret";
        let plain_of = |text: String| -> Result<Zeroizing<Vec<u8>>, PskcError> {
            if is_secret {
                decode_base64(&text)
                    .map(Zeroizing::new)
                    .ok_or_else(|| malformed(id, "the secret is not valid base64"))
            } else {
                Ok(Zeroizing::new(text.into_bytes()))
            }
        };
        if let Some(plain) = text_raw(node, &["PlainValue"]) {
            return plain_of(plain).map(Some);
        }
        let mac = binary(node, &["ValueMAC", "ValueDigest"], id)?;
        let (algorithm, cipher_value) = if let Some(enc) = child(node, &["EncryptedValue"]) {
            encrypted_value(enc, id)?
        } else if let Some(value) = text_raw(node, &["Value"]) {
            // Legacy <Value>: encrypted when the file is encrypted and MACs it.
            if self.protection != Protection::Plain && mac.is_some() {
                let bytes = decode_base64(&value)
                    .ok_or_else(|| malformed(id, &format!("{field} value is not valid base64")))?;
                (None, bytes)
            } else {
                return plain_of(value).map(Some);
            }
        } else {
            return Ok(None);
        };
        let plaintext = self.decrypt(algorithm.as_deref(), &cipher_value)?;
        if let Some(tag) = mac {
            let algorithm = self
                .mac
                .ok_or_else(|| malformed(id, "a ValueMAC but no MACMethod"))?;
            let mac_key = self.mac_key()?;
            let ok = algorithm.verify(&mac_key, &cipher_value, &tag)
                || algorithm.verify(&mac_key, &plaintext, &tag);
            if !ok {
                return Err(PskcError::MacMismatch {
                    key: id.map(str::to_owned),
                });
            }
        }
        Ok(Some(plaintext))
    }
}

/// Reads an `EncryptedValue`-shaped element: `EncryptionMethod@Algorithm` (or its
/// `EncryptionScheme`) and the base64 `CipherData/CipherValue`.
fn encrypted_value(
    node: Node<'_, '_>,
    id: Option<&str>,
) -> Result<(Option<String>, Vec<u8>), PskcError> {
    let method = child(node, &["EncryptionMethod"]);
    let algorithm = method
        .and_then(|m| child(m, &["EncryptionScheme"]))
        .and_then(|s| attr(s, &["Algorithm"]))
        .or_else(|| method.and_then(|m| attr(m, &["Algorithm"])));
    let value = child(node, &["CipherData"])
        .and_then(|d| text_raw(d, &["CipherValue"]))
        .ok_or_else(|| malformed(id, "an EncryptedValue without CipherData/CipherValue"))?;
    let bytes =
        decode_base64(&value).ok_or_else(|| malformed(id, "CipherValue is not valid base64"))?;
    Ok((algorithm, bytes))
}

/// Integers are decimal text; some files base64 them, either as ASCII digits or big-endian.
fn decode_integer(bytes: &[u8]) -> Option<i128> {
    let text = std::str::from_utf8(bytes).ok().map(str::trim);
    if let Some(n) = text.and_then(|t| t.parse::<i128>().ok()) {
        return Some(n);
    }
    let raw = match text.and_then(decode_base64) {
        Some(decoded) => decoded,
        // Decrypted integers may be raw big-endian bytes.
        None => bytes.to_vec(),
    };
    if !raw.is_empty() && raw.iter().all(u8::is_ascii_digit) {
        return std::str::from_utf8(&raw).ok()?.parse().ok();
    }
    if raw.is_empty() || raw.len() > 8 {
        return None;
    }
    Some(raw.iter().fold(0i128, |acc, b| (acc << 8) | i128::from(*b)))
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

fn malformed(key: Option<&str>, reason: &str) -> PskcError {
    PskcError::Malformed {
        key: key.map(str::to_owned),
        reason: reason.to_owned(),
    }
}

fn child<'a, 'i>(node: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && names.contains(&c.tag_name().name()))
}

fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    names: &'a [&'a str],
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children()
        .filter(move |c| c.is_element() && names.contains(&c.tag_name().name()))
}

fn attr(node: Node<'_, '_>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| node.attribute(*n))
        .map(str::to_owned)
}

/// The trimmed text of the first matching child, `None` when absent or empty.
fn text(node: Node<'_, '_>, names: &[&str]) -> Option<String> {
    text_raw(node, names).filter(|t| !t.is_empty())
}

fn text_raw(node: Node<'_, '_>, names: &[&str]) -> Option<String> {
    child(node, names).map(|c| {
        c.children()
            .filter(Node::is_text)
            .filter_map(|t| t.text())
            .collect::<String>()
            .trim()
            .to_owned()
    })
}

fn binary(
    node: Node<'_, '_>,
    names: &[&str],
    id: Option<&str>,
) -> Result<Option<Vec<u8>>, PskcError> {
    text(node, names)
        .map(|t| {
            decode_base64(&t)
                .ok_or_else(|| malformed(id, &format!("<{}> is not valid base64", names[0])))
        })
        .transpose()
}

fn base64(node: Node<'_, '_>, id: Option<&str>, what: &str) -> Result<Vec<u8>, PskcError> {
    let t = node.children().filter_map(|t| t.text()).collect::<String>();
    decode_base64(&t).ok_or_else(|| malformed(id, &format!("{what} is not valid base64")))
}

fn integer(node: Node<'_, '_>, names: &[&str], id: Option<&str>) -> Result<Option<u64>, PskcError> {
    text(node, names)
        .map(|t| {
            t.parse::<u64>()
                .map_err(|_| malformed(id, &format!("<{}> {t:?} is not a number", names[0])))
        })
        .transpose()
}
