//! The one error shape that crosses to the UI: `{code, message}` (plus `field` for form input).
//!
//! `code` is stable snake_case the UI switches on (the core's [`countersign_core::Error::code`]
//! for core errors); `message` is for people. The JSON shape is pinned by a test below.

use serde::Serialize;

/// An error returned by a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommandError {
    /// Stable code: `wrong_password`, `invalid_input`, `account_not_found`, `locked`, ...
    pub code: &'static str,
    /// What went wrong and what to do about it.
    pub message: String,
    /// For `invalid_input` about one form field: that field's name (`uri`, `secret`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

/// The result type of every command.
pub type CommandResult<T> = Result<T, CommandError>;

impl CommandError {
    /// Input the user can fix, about one field of a form.
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        CommandError {
            code: "invalid_input",
            message: message.into(),
            field: Some(field),
        }
    }

    /// Input the user can fix, not tied to one field.
    pub fn invalid(message: impl Into<String>) -> Self {
        CommandError {
            code: "invalid_input",
            message: message.into(),
            field: None,
        }
    }

    /// The vault is locked: unlock it first.
    pub fn locked() -> Self {
        CommandError {
            code: "locked",
            message: "the vault is locked; unlock it with its password first".into(),
            field: None,
        }
    }

    /// The system clipboard could not be used.
    pub fn clipboard(detail: impl std::fmt::Display) -> Self {
        CommandError {
            code: "clipboard_unavailable",
            message: format!("the clipboard could not be used: {detail}"),
            field: None,
        }
    }

    /// Something the shell itself could not do (settings file, ...).
    pub fn internal(message: impl Into<String>) -> Self {
        CommandError {
            code: "internal",
            message: message.into(),
            field: None,
        }
    }
}

impl From<countersign_core::Error> for CommandError {
    fn from(error: countersign_core::Error) -> Self {
        CommandError {
            code: error.code(),
            message: error.to_string(),
            field: None,
        }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for CommandError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn core_errors_cross_as_code_and_message_only() {
        let error = CommandError::from(countersign_core::Error::WrongPassword);
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            json!({"code": "wrong_password", "message": "wrong password"})
        );
    }

    #[test]
    fn field_errors_also_name_the_field() {
        let error = CommandError::field("secret", "the secret is empty");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            json!({"code": "invalid_input", "message": "the secret is empty", "field": "secret"})
        );
    }
}
