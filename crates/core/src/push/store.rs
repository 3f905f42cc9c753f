//! Keeping activations in the vault: add, mark not activated, remove (with a deactivation the
//! server confirms, retried while offline), re-add in the old place.

use super::client::{DeviceClient, TransportOptions};
use super::error::PushError;
use crate::account::Activation;
use crate::error::Error;
use crate::vault::Vault;

/// Where a removed activation was, so that re-adding it puts it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The label the user gave it.
    pub label: String,
    /// Its sort position.
    pub position: u32,
}

/// The activations the user sees (those not being removed).
pub fn visible(vault: &Vault) -> Vec<&Activation> {
    vault
        .activations()
        .iter()
        .filter(|a| !a.pending_removal)
        .collect()
}

/// Adds a new activation and saves. With `placement` (from [`remove_activation`]) it takes the
/// old label and position; otherwise it goes last, labelled "issuer: user".
pub fn add_activation(
    vault: &mut Vault,
    mut activation: Activation,
    placement: Option<Placement>,
) -> Result<(), PushError> {
    let next_position = vault
        .accounts()
        .iter()
        .map(|a| a.position.saturating_add(1))
        .chain(
            vault
                .activations()
                .iter()
                .map(|a| a.position.saturating_add(1)),
        )
        .max()
        .unwrap_or(0);
    match placement {
        Some(p) => {
            activation.label = p.label;
            activation.position = p.position;
        }
        None => {
            if activation.label.is_empty() {
                activation.label = format!("{}: {}", activation.issuer, activation.user);
            }
            activation.position = next_position;
        }
    }
    vault.edit_activations(|list| {
        if list
            .iter()
            .any(|a| a.device_id == activation.device_id && a.server == activation.server)
        {
            return Err(Error::InvalidInput(format!(
                "device {} is already in the vault",
                activation.device_id
            )));
        }
        list.push(activation);
        Ok(())
    })?;
    Ok(())
}

/// Records that the server no longer knows the device (so the account shows "not activated"
/// after a restart too). Returns whether anything changed.
pub fn mark_not_activated(vault: &mut Vault, device_id: &str) -> Result<bool, PushError> {
    Ok(vault.edit_activations(|list| {
        let Some(a) = list.iter_mut().find(|a| a.device_id == device_id) else {
            return Ok(false);
        };
        let changed = !a.not_activated;
        a.not_activated = true;
        Ok(changed)
    })?)
}

/// How a removal ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    /// The server confirmed (or no longer knew the device); the key is deleted.
    Done(Placement),
    /// The server could not be reached: the account is hidden and the key kept only until
    /// [`retry_removals`] gets the deactivation through.
    Deferred(Placement, String),
}

impl Removal {
    /// Where the activation was.
    pub fn placement(&self) -> &Placement {
        match self {
            Removal::Done(p) | Removal::Deferred(p, _) => p,
        }
    }
}

/// Removes an activation: hides it at once, deactivates the device on the server, and deletes
/// the key once the server confirmed (or answered that it no longer knows the device).
pub async fn remove_activation(
    vault: &mut Vault,
    device_id: &str,
    transport: &TransportOptions,
) -> Result<Removal, PushError> {
    let activation = vault
        .activations()
        .iter()
        .find(|a| a.device_id == device_id)
        .cloned()
        .ok_or_else(|| PushError::UnknownActivation(device_id.to_owned()))?;
    let placement = Placement {
        label: activation.label.clone(),
        position: activation.position,
    };
    vault.edit_activations(|list| {
        if let Some(a) = list.iter_mut().find(|a| a.device_id == device_id) {
            a.pending_removal = true;
        }
        Ok(())
    })?;
    match deactivate(&activation, transport).await {
        Ok(()) => {
            delete(vault, device_id)?;
            Ok(Removal::Done(placement))
        }
        Err(e) => Ok(Removal::Deferred(placement, e.to_string())),
    }
}

/// Retries the deactivations that could not reach their server; returns how many are still
/// waiting.
pub async fn retry_removals(
    vault: &mut Vault,
    transport: &TransportOptions,
) -> Result<usize, PushError> {
    let waiting: Vec<Activation> = vault
        .activations()
        .iter()
        .filter(|a| a.pending_removal)
        .cloned()
        .collect();
    let mut left = 0;
    for activation in waiting {
        match deactivate(&activation, transport).await {
            Ok(()) => delete(vault, &activation.device_id)?,
            Err(_) => left += 1,
        }
    }
    Ok(left)
}

/// Removes `old_device_id` (best effort on the server) and activates `pending` in its place:
/// the account comes back with its label and position.
pub async fn replace_activation(
    vault: &mut Vault,
    old_device_id: &str,
    pending: &super::PendingActivation,
    device_name: &str,
    transport: &TransportOptions,
) -> Result<Activation, PushError> {
    if !vault
        .activations()
        .iter()
        .any(|a| a.device_id == old_device_id)
    {
        return Err(PushError::UnknownActivation(old_device_id.to_owned()));
    }
    // Activate first: if that fails, the old account stays where it was.
    let activation = pending.activate(device_name, transport).await?;
    let removal = remove_activation(vault, old_device_id, transport).await?;
    add_activation(vault, activation.clone(), Some(removal.placement().clone()))?;
    Ok(vault
        .activations()
        .iter()
        .find(|a| a.device_id == activation.device_id)
        .cloned()
        .unwrap_or(activation))
}

async fn deactivate(
    activation: &Activation,
    transport: &TransportOptions,
) -> Result<(), PushError> {
    if activation.not_activated {
        return Ok(());
    }
    let client = match DeviceClient::new(activation, transport.clone()) {
        Ok(c) => c,
        // A damaged entry cannot be deactivated anyway: deleting it is all that is left.
        Err(PushError::CorruptActivation(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    match client.deactivate().await {
        Ok(()) | Err(PushError::NotActivated { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

fn delete(vault: &mut Vault, device_id: &str) -> Result<(), PushError> {
    vault.edit_activations(|list| {
        list.retain(|a| a.device_id != device_id);
        Ok(())
    })?;
    Ok(())
}
