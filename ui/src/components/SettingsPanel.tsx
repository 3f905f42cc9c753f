import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Settings, toCommandError, type VaultState } from "../api";
import { BackupSettings } from "./BackupSettings";
import { ExportDialog } from "./ExportDialog";
import { describedBy, Field } from "./Field";
import { newPasswordProblem, NewPasswordFields } from "./NewPassword";
import { ImportDialog } from "./ImportDialog";

const LOCK_CHOICES = [0, 1, 5, 15, 60];
const CLEAR_CHOICES = [0, 10, 30, 60, 120];

/** The choices, plus the current value if it was set elsewhere (an older version, a script). */
function withCurrent(choices: number[], current: number): number[] {
  return choices.includes(current) ? choices : [...choices, current].sort((a, b) => a - b);
}

/** Preferences: app lock and password, clipboard clearing, code preview, backup and export. */
export function SettingsPanel(props: {
  settings: Settings;
  vault: VaultState;
  onSettings: (settings: Settings) => void;
  onVault: (state: VaultState) => void;
  onBack: () => void;
  /** Accounts were imported: the list should be read again. */
  onAccountsChanged?: () => void;
}) {
  const { settings, vault } = props;
  const [error, setError] = useState<string | undefined>();
  const [dialog, setDialog] = useState<"import" | "export" | null>(null);
  const [imported, setImported] = useState<string | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);

  const save = async (next: Settings) => {
    try {
      props.onSettings(await api.saveSettings(next));
      setError(undefined);
    } catch (e) {
      setError(toCommandError(e).message);
    }
  };

  return (
    <main
      class="settings"
      data-testid="settings"
      onKeyDown={(e) => {
        if (e.key === "Escape" && !dialog) {
          e.preventDefault();
          props.onBack();
        }
      }}
    >
      <header class="toolbar">
        <button type="button" class="button" onClick={props.onBack} aria-label="Back to accounts" data-testid="settings-back">
          ← Back
        </button>
        <h1 tabIndex={-1} ref={heading}>
          Settings
        </h1>
      </header>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}

      <section class="settings__section" aria-labelledby="s-security">
        <h2 id="s-security">Security</h2>
        <PasswordForm vault={vault} onVault={props.onVault} />
        <Field
          id="lock-after"
          label="Lock after inactivity"
          hint={vault.hasPassword ? undefined : "Set a password first: without one the vault opens from the system keyring."}
        >
          <select
            id="lock-after"
            disabled={!vault.hasPassword}
            value={String(settings.lockAfterMinutes)}
            onChange={(e) => void save({ ...settings, lockAfterMinutes: Number(e.currentTarget.value) })}
          >
            {withCurrent(LOCK_CHOICES, settings.lockAfterMinutes).map((m) => (
              <option key={m} value={String(m)}>
                {m === 0 ? "Never" : m === 1 ? "1 minute" : `${m} minutes`}
              </option>
            ))}
          </select>
        </Field>
      </section>

      <section class="settings__section" aria-labelledby="s-codes">
        <h2 id="s-codes">Codes</h2>
        <Field id="clear-after" label="Clear the clipboard after copying">
          <select
            id="clear-after"
            value={String(settings.clipboardClearSeconds)}
            onChange={(e) => void save({ ...settings, clipboardClearSeconds: Number(e.currentTarget.value) })}
          >
            {withCurrent(CLEAR_CHOICES, settings.clipboardClearSeconds).map((s) => (
              <option key={s} value={String(s)}>
                {s === 0 ? "Never" : `${s} seconds`}
              </option>
            ))}
          </select>
        </Field>
        <label class="check">
          <input
            type="checkbox"
            id="show-next"
            checked={settings.showNextCode}
            onChange={(e) => void save({ ...settings, showNextCode: e.currentTarget.checked })}
          />
          Show the next code when the current one is about to expire
        </label>
      </section>

      <section class="settings__section" aria-labelledby="s-backup">
        <h2 id="s-backup">Backup and export</h2>
        <p class="field__hint">
          The vault is one encrypted file: <code class="path">{vault.path}</code>. Copy it somewhere safe; with a password
          set, it opens on another machine too.
        </p>
        <div class="settings__buttons">
          <button type="button" class="button" onClick={() => setDialog("export")} data-testid="open-export">
            Export accounts…
          </button>
          <button type="button" class="button" onClick={() => setDialog("import")} data-testid="open-import">
            Import from another app…
          </button>
        </div>
        {imported && (
          <p class="field__hint" role="status" data-testid="import-done">
            {imported}
          </p>
        )}
        <BackupSettings settings={settings} onSettings={props.onSettings} />
      </section>
      {dialog === "export" && <ExportDialog onClose={() => setDialog(null)} />}
      {dialog === "import" && (
        <ImportDialog
          onClose={() => setDialog(null)}
          onImported={({ added, skippedDuplicates }) => {
            setDialog(null);
            const skipped = skippedDuplicates ? `; ${skippedDuplicates} already in the vault were skipped` : "";
            setImported(`Imported ${added.length === 1 ? "1 account" : `${added.length} accounts`}${skipped}.`);
            props.onAccountsChanged?.();
          }}
        />
      )}
    </main>
  );
}

function PasswordForm(props: { vault: VaultState; onVault: (state: VaultState) => void }) {
  const { vault } = props;
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<{ field: string; message: string } | undefined>();
  const [done, setDone] = useState<string | undefined>();

  const change = async (password: string | null) => {
    setDone(undefined);
    const problem = password === null ? undefined : newPasswordProblem(password, repeat);
    if (problem) {
      setError({ field: problem.field === "password" ? "new-password" : "repeat-password", message: problem.message });
      return;
    }
    try {
      const state = await api.setPassword(vault.hasPassword ? current : null, password);
      props.onVault(state);
      setCurrent("");
      setNext("");
      setRepeat("");
      setError(undefined);
      setDone(password === null ? "Password removed." : "Password saved.");
    } catch (e) {
      const failure = toCommandError(e);
      setError({
        field: failure.code === "wrong_password" ? "current-password" : "new-password",
        message: failure.code === "wrong_password" ? "The current password is not right." : failure.message,
      });
    }
  };
  const errorFor = (field: string) => (error?.field === field ? error.message : undefined);

  return (
    <form
      class="form-grid"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void change(next);
      }}
    >
      <p class="field__hint">
        {vault.hasPassword
          ? "The vault has a password: the app asks for it at start and after the idle time below."
          : "Without a password the vault opens with the key in the system keyring. A password also lets you open the vault on another machine."}
      </p>
      {vault.hasPassword && (
        <Field id="current-password" label="Current password" error={errorFor("current-password")}>
          <input
            id="current-password"
            type="password"
            autocomplete="current-password"
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
            {...describedBy("current-password", errorFor("current-password"))}
          />
        </Field>
      )}
      <NewPasswordFields
        ids={{ password: "new-password", repeat: "repeat-password" }}
        label={vault.hasPassword ? "New password" : "Password"}
        repeatLabel="Repeat it"
        password={next}
        repeat={repeat}
        onPassword={setNext}
        onRepeat={setRepeat}
        passwordError={errorFor("new-password")}
        repeatError={errorFor("repeat-password")}
      />
      <div class="settings__buttons">
        <button type="submit" class="button button--primary" data-testid="save-password">
          {vault.hasPassword ? "Change password" : "Set password"}
        </button>
        {vault.hasPassword && (
          <button type="button" class="button" onClick={() => void change(null)}>
            Remove password
          </button>
        )}
      </div>
      {done && (
        <p class="field__hint" role="status">
          {done}
        </p>
      )}
    </form>
  );
}
