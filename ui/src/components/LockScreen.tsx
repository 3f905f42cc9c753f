import { useEffect, useRef, useState } from "preact/hooks";
import { api, toCommandError, type VaultState } from "../api";

/** Asks for the vault password; a wrong one is refused with a message and the field cleared. */
export function LockScreen(props: { onUnlocked: (state: VaultState) => void }) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!password) {
      setError("Enter the vault password.");
      return;
    }
    setBusy(true);
    try {
      props.onUnlocked(await api.unlock(password));
    } catch (e) {
      const failure = toCommandError(e);
      setError(failure.code === "wrong_password" ? "That password is not right. Try again." : failure.message);
      setPassword("");
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="lock" data-testid="lock-screen">
      <form class="lock__form" onSubmit={submit} noValidate>
        <div class="lock__badge" aria-hidden="true">
          🔒
        </div>
        <h1>Countersign is locked</h1>
        <label for="lock-password">Vault password</label>
        <input
          id="lock-password"
          ref={input}
          type="password"
          autocomplete="current-password"
          value={password}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "lock-error" : undefined}
          onInput={(e) => {
            setPassword(e.currentTarget.value);
            setError(undefined);
          }}
        />
        {error && (
          <p id="lock-error" class="field__error" role="alert" data-testid="lock-error">
            {error}
          </p>
        )}
        <button type="submit" class="button button--primary" disabled={busy} data-testid="unlock">
          {busy ? "Unlocking…" : "Unlock"}
        </button>
      </form>
    </main>
  );
}
