//! Picking the account a QUERY means: an id, part of the issuer or account name, or
//! `issuer:account`.

use countersign_core::account::{Account, AccountId};
use countersign_core::vault::Vault;

use crate::CliError;

/// The one account `query` names: an account id, or a case-insensitive match of issuer or
/// account name. When several match, an exact issuer, account or `issuer:account` match wins;
/// otherwise the error lists the candidates.
pub fn one(vault: &Vault, query: &str) -> Result<AccountId, CliError> {
    if let Ok(id) = query.parse::<AccountId>() {
        if vault.accounts().iter().any(|a| a.id == id) {
            return Ok(id);
        }
    }
    let mut found = vault.find(query);
    if found.is_empty() {
        // "Issuer:account", as otpauth labels write it.
        if let Some((issuer, name)) = query.split_once(':') {
            let (issuer, name) = (issuer.trim().to_lowercase(), name.trim().to_lowercase());
            found = vault
                .accounts()
                .iter()
                .filter(|a| {
                    a.issuer.to_lowercase().contains(&issuer)
                        && a.name.to_lowercase().contains(&name)
                })
                .collect();
        }
    }
    match found.as_slice() {
        [] => Err(CliError::not_found(format!(
            "no account matches {query:?} (`countersign list` shows them)"
        ))),
        [one] => Ok(one.id),
        many => {
            let q = query.to_lowercase();
            let exact: Vec<&&Account> = many
                .iter()
                .filter(|a| {
                    a.issuer.to_lowercase() == q
                        || a.name.to_lowercase() == q
                        || format!("{}:{}", a.issuer, a.name).to_lowercase() == q
                })
                .collect();
            if let [one] = exact.as_slice() {
                return Ok(one.id);
            }
            let names: Vec<String> = many
                .iter()
                .map(|a| format!("  {}  {}", a.id, display_name(a)))
                .collect();
            Err(CliError::usage(format!(
                "{query:?} matches {} accounts; be more specific, or give an id:\n{}",
                many.len(),
                names.join("\n")
            )))
        }
    }
}

/// "Issuer (account)", or just the account when there is no issuer.
pub fn display_name(account: &Account) -> String {
    if account.issuer.is_empty() {
        account.name.clone()
    } else if account.name.is_empty() {
        account.issuer.clone()
    } else {
        format!("{} ({})", account.issuer, account.name)
    }
}
