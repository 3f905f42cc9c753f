import { useEffect, useState } from "preact/hooks";
import { api, type ActivationSummary, type PushAccount } from "../api";
import { errorMessage } from "../push";
import { DialogButtons, LinkField } from "./Field";
import { Modal } from "./Modal";

export interface PushActivateDialogProps {
  /** A link pasted elsewhere (the add dialog); empty asks for one. */
  initialUri: string;
  /** Re-add in place of this account (the way back from "not activated"). */
  replace: PushAccount | null;
  onActivated: (account: PushAccount) => void;
  onClose: () => void;
}

/**
 * Activates push sign-in: paste the countersign://activate link, check the server, user, issuer
 * and key fingerprint, then activate. With `replace`, the old account is removed and the new
 * activation takes its name and place.
 */
export function PushActivateDialog(props: PushActivateDialogProps) {
  const [uri, setUri] = useState(props.initialUri);
  const [summary, setSummary] = useState<ActivationSummary | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const read = async (text: string) => {
    if (!text.trim()) {
      setError("Paste the countersign://activate link your administrator gave you.");
      return;
    }
    setBusy(true);
    try {
      setSummary(await api.pushParseActivation(text.trim()));
      setError(undefined);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (props.initialUri) void read(props.initialUri);
    // Only the link the dialog opened with is read at once.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const activate = async () => {
    setBusy(true);
    setError(undefined);
    try {
      props.onActivated(await api.pushActivate(uri.trim(), props.replace?.deviceId ?? null));
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  const title = props.replace ? `Re-add ${props.replace.label}` : "Activate push sign-in";
  return (
    <Modal title={title} onClose={props.onClose} testId="push-activate-dialog">
      {props.replace && (
        <p class="modal__text" data-testid="replace-note">
          The old activation of <strong>{props.replace.label}</strong> is removed and its keys deleted; the new one takes
          its name and place.
        </p>
      )}
      {summary ? (
        <>
          <p class="modal__text">Sign-in requests for this account will come to this device:</p>
          <dl class="sheet__facts" data-testid="activation-summary">
            <dt>Issuer</dt>
            <dd data-testid="activation-issuer">{summary.issuer}</dd>
            <dt>User</dt>
            <dd data-testid="activation-user">{summary.user}</dd>
            <dt>Server</dt>
            <dd class="mono">{summary.server}</dd>
            <dt>Key fingerprint</dt>
            <dd class="mono fingerprint" data-testid="activation-fingerprint">
              {summary.keyFingerprint}
            </dd>
            {summary.tlsFingerprint && (
              <>
                <dt>Certificate</dt>
                <dd class="mono fingerprint">{summary.tlsFingerprint} (self-signed, pinned)</dd>
              </>
            )}
          </dl>
          <p class="field__hint">Compare the key fingerprint with the one your administrator shows before you activate.</p>
          {error && (
            <p class="form-error" role="alert" data-testid="activation-error">
              {error}
            </p>
          )}
          <div class="modal__buttons">
            <button type="button" class="button" onClick={() => setSummary(null)}>
              Back
            </button>
            <button
              type="button"
              class="button button--primary"
              data-autofocus
              disabled={busy}
              onClick={() => void activate()}
              data-testid="push-activate"
            >
              {busy ? "Activating…" : "Activate"}
            </button>
          </div>
        </>
      ) : (
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void read(uri);
          }}
        >
          <LinkField
            id="activation-uri"
            label="Activation link"
            hint="Starts with countersign://activate"
            error={error}
            rows={4}
            value={uri}
            onInput={(value) => {
              setUri(value);
              setError(undefined);
            }}
            onSubmit={() => void read(uri)}
          />
          <DialogButtons submit="Continue" busy={busy} onCancel={props.onClose} testId="activation-continue" />
        </form>
      )}
    </Modal>
  );
}
