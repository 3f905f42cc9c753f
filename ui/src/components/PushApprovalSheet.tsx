import { useState } from "preact/hooks";
import type { PushChallenge, PushDecision } from "../api";
import { errorMessage, formatCountdown, formatTime, secondsLeft } from "../push";
import { Modal } from "./Modal";

export interface PushApprovalSheetProps {
  challenge: PushChallenge;
  nowMs: number;
  /** Sends the answer; rejects with the shell's error. */
  onAnswer: (decision: PushDecision, number: number | null) => Promise<void>;
  /** Puts the sheet away; the request stays pending. */
  onClose: () => void;
}

/**
 * A sign-in request: what wants in, from where, how long is left, and — with number matching —
 * the number the sign-in page shows, picked among three or typed. Approve, Deny, Report fraud.
 * Render it keyed by the request id, so another request starts with a clean sheet.
 */
export function PushApprovalSheet(props: PushApprovalSheetProps) {
  const { challenge: c } = props;
  const [picked, setPicked] = useState<number | null>(null);
  const [typed, setTyped] = useState("");
  const [confirmFraud, setConfirmFraud] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const left = secondsLeft(c.expiresAtMs, props.nowMs);
  const expired = left <= 0;
  const matching = c.options.length > 0;
  const typedNumber = /^\d{1,3}$/.test(typed.trim()) ? Number(typed.trim()) : null;
  const number = typedNumber ?? picked;
  const canApprove = !busy && !expired && (!matching || number !== null);

  const send = async (decision: PushDecision) => {
    if (decision === "approve" && !canApprove) return;
    setBusy(true);
    setError(undefined);
    try {
      await props.onAnswer(decision, decision === "approve" && matching ? number : null);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const from = [c.clientIp, c.location].filter(Boolean).join(" · ");
  return (
    <Modal title="Sign-in request" onClose={props.onClose} testId="approval-sheet">
      <p class="sheet__app" data-testid="sheet-app">
        {c.app}
      </p>
      <dl class="sheet__facts">
        <dt>Account</dt>
        <dd data-testid="sheet-user">
          {c.user} at {c.issuer}
        </dd>
        {c.clientIp && (
          <>
            <dt>IP address</dt>
            <dd data-testid="sheet-ip">{c.clientIp}</dd>
          </>
        )}
        {c.location && (
          <>
            <dt>Location</dt>
            <dd data-testid="sheet-location">{c.location}</dd>
          </>
        )}
        <dt>Time</dt>
        <dd>{formatTime(c.created)}</dd>
        <dt>Expires in</dt>
        <dd>
          <span
            class={left <= 10 ? "sheet__countdown sheet__countdown--urgent" : "sheet__countdown"}
            data-testid="sheet-countdown"
            role="timer"
            aria-live="off"
          >
            {expired ? "expired" : formatCountdown(left)}
          </span>
        </dd>
      </dl>
      {!from && <p class="field__hint">The sign-in page did not say where the request comes from.</p>}

      {confirmFraud ? (
        <div class="sheet__fraud" data-testid="fraud-confirm">
          <p class="modal__text">
            Report this sign-in as fraud? It is denied, and the server blocks further sign-in requests for{" "}
            <strong>{c.user}</strong> until an administrator clears them. Change your password if you did not start
            it.
          </p>
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <div class="modal__buttons">
            <button type="button" class="button" data-autofocus onClick={() => setConfirmFraud(false)}>
              Back
            </button>
            <button
              type="button"
              class="button button--danger"
              disabled={busy}
              onClick={() => void send("report_fraud")}
              data-testid="fraud-send"
            >
              Report fraud
            </button>
          </div>
        </div>
      ) : (
        <>
          {matching && (
            <fieldset class="sheet__numbers">
              <legend>Which number does the sign-in page show?</legend>
              <div class="sheet__choices" role="group" aria-label="Numbers">
                {c.options.map((n, index) => (
                  <button
                    key={n}
                    type="button"
                    class="number"
                    aria-pressed={typedNumber === null && picked === n}
                    data-testid={`number-${n}`}
                    data-autofocus={index === 0 ? true : undefined}
                    disabled={expired}
                    onClick={() => {
                      setPicked(n);
                      setTyped("");
                    }}
                  >
                    {n}
                  </button>
                ))}
              </div>
              <label class="sheet__type">
                <span>or type it</span>
                <input
                  id="push-number"
                  inputMode="numeric"
                  autocomplete="off"
                  maxLength={3}
                  value={typed}
                  disabled={expired}
                  onInput={(e) => setTyped(e.currentTarget.value.replace(/\D/g, ""))}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") void send("approve");
                  }}
                />
              </label>
            </fieldset>
          )}
          {error && (
            <p class="form-error" role="alert" data-testid="sheet-error">
              {error}
            </p>
          )}
          <div class="sheet__buttons">
            <button
              type="button"
              class="button button--link-danger"
              disabled={busy || expired}
              onClick={() => setConfirmFraud(true)}
              data-testid="sheet-fraud"
            >
              Report fraud
            </button>
            <span class="sheet__spacer" />
            <button
              type="button"
              class="button"
              disabled={busy || expired}
              onClick={() => void send("deny")}
              data-testid="sheet-deny"
              data-autofocus={matching ? undefined : true}
            >
              Deny
            </button>
            <button
              type="button"
              class="button button--primary"
              disabled={!canApprove}
              onClick={() => void send("approve")}
              data-testid="sheet-approve"
            >
              Approve
            </button>
          </div>
        </>
      )}
    </Modal>
  );
}
