import { useState } from "preact/hooks";
import { api, type Account, toCommandError } from "../api";
import { Modal } from "./Modal";

/** Asks before removing an account, saying plainly that its codes will be gone. */
export function RemoveAccountDialog(props: { account: Account; onRemoved: (id: string) => void; onClose: () => void }) {
  const { account } = props;
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const service = account.issuer || account.name;

  const remove = async () => {
    setBusy(true);
    try {
      await api.removeAccount(account.id);
      props.onRemoved(account.id);
    } catch (e) {
      setError(toCommandError(e).message);
      setBusy(false);
    }
  };

  return (
    <Modal title={`Remove ${service}?`} onClose={props.onClose} testId="remove-dialog">
      <p class="modal__text" data-testid="remove-warning">
        The codes for <strong>{account.name}</strong>
        {account.issuer && (
          <>
            {" "}
            at <strong>{account.issuer}</strong>
          </>
        )}{" "}
        will be gone from Countersign. Before you remove it, turn off two-step sign-in on {service} or make sure you
        have another way to sign in — this cannot be undone.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="modal__buttons">
        <button type="button" class="button" data-autofocus onClick={props.onClose}>
          Keep it
        </button>
        <button type="button" class="button button--danger" disabled={busy} onClick={remove} data-testid="remove-confirm">
          Remove account
        </button>
      </div>
    </Modal>
  );
}
