import { useState } from "preact/hooks";
import { api, type PushAccount, type PushHistoryEntry } from "../api";
import { errorMessage, formatCountdown, formatTime, outcomeText, type Push, secondsLeft, stateBadge } from "../push";
import { Modal } from "./Modal";
import { PushActivateDialog } from "./PushActivateDialog";
import { PushApprovalSheet } from "./PushApprovalSheet";

/** One push account: its name, where it signs in, and its connection state. */
export function PushAccountRow(props: {
  account: PushAccount;
  nowMs: number;
  onRemove: (account: PushAccount) => void;
  onReAdd: (account: PushAccount) => void;
}) {
  const { account: a } = props;
  const badge = stateBadge(a.state, props.nowMs);
  const broken = a.state.state === "not_activated" || a.state.state === "damaged";
  return (
    <li class="push-account" data-testid="push-account" data-device-id={a.deviceId} data-state={a.state.state}>
      <div class="push-account__head">
        <div class="push-account__text">
          <div class="push-account__label">{a.label}</div>
          <div class="push-account__where">
            {a.user} · {a.issuer}
          </div>
        </div>
        <span class={`badge badge--${badge.tone}`} data-testid="push-state" title={badge.detail}>
          {badge.text}
        </span>
        <button
          type="button"
          class="icon-button icon-button--danger"
          aria-label={`Remove ${a.label}`}
          title="Remove"
          onClick={() => props.onRemove(a)}
          data-testid="push-remove"
        >
          ✕
        </button>
      </div>
      {broken && (
        <div class="push-account__problem" role="alert">
          <p data-testid="push-problem">{badge.detail}</p>
          <button type="button" class="button button--primary" onClick={() => props.onReAdd(a)} data-testid="push-readd">
            Remove and re-add…
          </button>
        </div>
      )}
      {a.state.state === "reconnecting" && badge.detail && <p class="push-account__detail">{badge.detail}</p>}
      {a.clockWarning && a.clockOffsetMs !== null && (
        <p class="push-account__detail" data-testid="clock-warning">
          This device's clock is {Math.abs(a.clockOffsetMs / 1000).toFixed(1)} s {a.clockOffsetMs > 0 ? "behind" : "ahead of"}{" "}
          the server's: codes may be refused. Set the system clock automatically.
        </p>
      )}
    </li>
  );
}

/** The last answered and expired requests. */
export function PushHistory(props: { history: PushHistoryEntry[] }) {
  if (props.history.length === 0) return null;
  return (
    <details class="push-history" data-testid="push-history">
      <summary>Recent sign-in requests ({props.history.length})</summary>
      <ul>
        {props.history.map((h) => (
          <li key={h.challenge.id} data-outcome={h.outcome}>
            <span class={`outcome outcome--${h.outcome}`}>{outcomeText(h.outcome)}</span> {h.challenge.app || "Sign-in"}
            {h.challenge.user && ` · ${h.challenge.user}`}
            <span class="push-history__time"> {formatTime(Math.floor(h.atMs / 1000))}</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

function RemovePushDialog(props: { account: PushAccount; onRemoved: (message: string) => void; onClose: () => void }) {
  const { account: a } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const remove = async () => {
    setBusy(true);
    try {
      const removal = await api.pushRemove(a.deviceId);
      props.onRemoved(
        removal.deferred
          ? `Removed ${removal.label}; the server is told when it can be reached`
          : `Removed ${removal.label}`,
      );
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  return (
    <Modal title={`Remove ${a.label}?`} onClose={props.onClose} testId="push-remove-dialog">
      <p class="modal__text">
        Sign-in requests for <strong>{a.user}</strong> at <strong>{a.issuer}</strong> stop coming to this device, and its
        keys are deleted. Using push sign-in again needs a new activation link.
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
        <button type="button" class="button button--danger" disabled={busy} onClick={() => void remove()} data-testid="push-remove-confirm">
          Remove
        </button>
      </div>
    </Modal>
  );
}

/**
 * Push sign-in in the main window: the push accounts with their states, waiting requests, the
 * history, and the approval sheet, activation and removal dialogs. Shown once there is a push
 * account or an activation under way.
 */
export function PushSection(props: { push: Push; nowMs: number; onNotify: (text: string, error?: boolean) => void }) {
  const { push, nowMs } = props;
  const { accounts, pending, history } = push.snapshot;
  const [removing, setRemoving] = useState<PushAccount | null>(null);
  const current = push.current;
  const waitingAside = pending.filter((c) => c.id !== current?.id);

  return (
    <>
      {accounts.length > 0 && (
        <section class="push" aria-label="Push sign-in" data-testid="push-section">
          <ul class="push__accounts">
            {accounts.map((a) => (
              <PushAccountRow
                key={a.deviceId}
                account={a}
                nowMs={nowMs}
                onRemove={setRemoving}
                onReAdd={(account) => push.startActivation("", account)}
              />
            ))}
          </ul>
          {!current && waitingAside.length > 0 && (
            <div class="push__waiting">
              {waitingAside.map((c) => (
                <button key={c.id} type="button" class="button" onClick={() => push.open(c.id)} data-testid="push-waiting">
                  {c.app}: waiting · {formatCountdown(secondsLeft(c.expiresAtMs, nowMs))}
                </button>
              ))}
            </div>
          )}
          <PushHistory history={history} />
        </section>
      )}
      {push.activation && (
        <PushActivateDialog
          initialUri={push.activation.uri}
          replace={push.activation.replace}
          onClose={push.endActivation}
          onActivated={(account) => {
            push.endActivation();
            void push.refresh();
            props.onNotify(`Push sign-in activated for ${account.label}`);
          }}
        />
      )}
      {removing && (
        <RemovePushDialog
          account={removing}
          onClose={() => setRemoving(null)}
          onRemoved={(message) => {
            setRemoving(null);
            void push.refresh();
            props.onNotify(message);
          }}
        />
      )}
      {current && !push.activation && !removing && (
        <PushApprovalSheet
          key={current.id}
          challenge={current}
          nowMs={nowMs}
          onClose={push.dismiss}
          onAnswer={async (decision, number) => {
            const ended = await push.answer(current.id, decision, number);
            props.onNotify(`${current.app}: ${outcomeText(ended.outcome).toLowerCase()}`, ended.outcome === "denied" && decision === "approve");
          }}
        />
      )}
    </>
  );
}
