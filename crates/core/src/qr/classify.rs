//! What a decoded QR text is: an account, a transfer batch, an activation, or something else.

use std::fmt;

use countersign_oath::migration::{self, MigrationBatch};
use countersign_oath::KeyUri;
use countersign_protocol::activation::ActivationUri;
use serde::Serialize;

/// The meaning of one QR code's text.
///
/// `Debug` never shows a secret or an activation code (the inner types redact them).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Content {
    /// An `otpauth://` key URI: one account to add.
    Account(KeyUri),
    /// One code of a Google Authenticator export (`otpauth-migration://`): a batch of accounts,
    /// possibly "1 of 3" (see [`TransferCollector`](super::TransferCollector)).
    Transfer(MigrationBatch),
    /// A `countersign://activate` URI: starts a push activation.
    Activation(ActivationUri),
    /// Looks like one of the above but does not parse; `reason` says what is wrong.
    Invalid {
        /// What it looked like.
        kind: ContentKind,
        /// The parser's message, naming the part at fault.
        reason: String,
    },
    /// Anything else (a web link, plain text, a Wi-Fi code...).
    Other(String),
}

/// The kinds of [`Content`], for JSON output and for the UI to switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContentKind {
    /// `otpauth://`
    Account,
    /// `otpauth-migration://`
    Transfer,
    /// `countersign://activate`
    Activation,
    /// Anything else.
    Other,
}

impl ContentKind {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ContentKind::Account => "account",
            ContentKind::Transfer => "transfer",
            ContentKind::Activation => "activation",
            ContentKind::Other => "other",
        }
    }
}

impl fmt::Display for ContentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Longest excerpt of unrecognised text shown in a message.
const EXCERPT_CHARS: usize = 60;

impl Content {
    /// Classifies a decoded text with the `oath` and `protocol` parsers. Never fails: text that
    /// is not an account is [`Content::Other`], and a broken account URI is
    /// [`Content::Invalid`] with the parser's reason.
    pub fn classify(text: &str) -> Content {
        let trimmed = text.trim();
        if starts_with_ignore_case(trimmed, "otpauth-migration:") {
            match migration::decode(trimmed) {
                Ok(batch) => Content::Transfer(batch),
                Err(err) => Content::Invalid {
                    kind: ContentKind::Transfer,
                    reason: err.to_string(),
                },
            }
        } else if starts_with_ignore_case(trimmed, "otpauth:") {
            match KeyUri::parse(trimmed) {
                Ok(uri) => Content::Account(uri),
                Err(err) => Content::Invalid {
                    kind: ContentKind::Account,
                    reason: err.to_string(),
                },
            }
        } else if starts_with_ignore_case(trimmed, "countersign:") {
            match ActivationUri::parse(trimmed) {
                Ok(activation) => Content::Activation(activation),
                Err(err) => Content::Invalid {
                    kind: ContentKind::Activation,
                    reason: err.to_string(),
                },
            }
        } else {
            Content::Other(excerpt(trimmed))
        }
    }

    /// What kind of code this is (for a broken one, what it looked like).
    pub fn kind(&self) -> ContentKind {
        match self {
            Content::Account(_) => ContentKind::Account,
            Content::Transfer(_) => ContentKind::Transfer,
            Content::Activation(_) => ContentKind::Activation,
            Content::Invalid { kind, .. } => *kind,
            Content::Other(_) => ContentKind::Other,
        }
    }

    /// True when the code can be acted on (not [`Content::Invalid`] or [`Content::Other`]).
    pub fn is_usable(&self) -> bool {
        matches!(
            self,
            Content::Account(_) | Content::Transfer(_) | Content::Activation(_)
        )
    }
}

/// A sentence for the user saying what the code holds, without any secret.
impl fmt::Display for Content {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Content::Account(uri) => {
                let kind = match uri.otp.kind {
                    countersign_oath::Kind::Totp { .. } => "TOTP",
                    countersign_oath::Kind::Hotp { .. } => "HOTP",
                    countersign_oath::Kind::Steam { .. } => "Steam Guard",
                };
                match uri.issuer.as_deref().filter(|i| !i.is_empty()) {
                    Some(issuer) => write!(f, "{kind} account {issuer} ({})", uri.account),
                    None => write!(f, "{kind} account {}", uri.account),
                }
            }
            Content::Transfer(batch) => write!(
                f,
                "Google Authenticator transfer code {} of {} with {} account{}",
                batch.batch_index + 1,
                batch.batch_size.max(1),
                batch.accounts.len(),
                if batch.accounts.len() == 1 { "" } else { "s" }
            ),
            Content::Activation(activation) => write!(
                f,
                "Countersign push activation for user {} at {} ({})",
                activation.user, activation.issuer, activation.server
            ),
            Content::Invalid { kind, reason } => {
                let what = match kind {
                    ContentKind::Account => "an otpauth:// account URI",
                    ContentKind::Transfer => "a Google Authenticator transfer code",
                    ContentKind::Activation => "a Countersign activation code",
                    ContentKind::Other => "a code",
                };
                write!(f, "{what} that cannot be used: {reason}")
            }
            Content::Other(excerpt) => {
                if excerpt.is_empty() {
                    f.write_str("a QR code with no text; it is not an account")
                } else if looks_like_link(excerpt) {
                    write!(f, "a web link, not an account: {excerpt}")
                } else {
                    write!(f, "text that is not an account: {excerpt:?}")
                }
            }
        }
    }
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn looks_like_link(text: &str) -> bool {
    starts_with_ignore_case(text, "http://") || starts_with_ignore_case(text, "https://")
}

/// The first [`EXCERPT_CHARS`] characters, control characters replaced, "…" when cut.
fn excerpt(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otpauth_text_is_an_account() {
        let content = Content::classify(
            "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        );
        assert!(matches!(&content, Content::Account(uri) if uri.account == "alice"));
        assert_eq!(content.to_string(), "TOTP account Example (alice)");
    }

    #[test]
    fn broken_otpauth_text_says_which_part_is_wrong() {
        let content = Content::classify("otpauth://totp/Example:alice?issuer=Example");
        assert_eq!(content.kind(), ContentKind::Account);
        assert!(!content.is_usable());
        assert!(content.to_string().contains("secret"), "{content}");
    }

    #[test]
    fn a_link_is_described_as_a_link() {
        let content = Content::classify("https://example.com/login");
        assert_eq!(content.kind(), ContentKind::Other);
        assert_eq!(
            content.to_string(),
            "a web link, not an account: https://example.com/login"
        );
    }

    #[test]
    fn long_text_is_cut_in_the_message() {
        let text = "x".repeat(500);
        let message = Content::classify(&text).to_string();
        assert!(message.len() < 120 && message.contains('…'), "{message}");
    }
}
