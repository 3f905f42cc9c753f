import { useState } from "preact/hooks";
import { api, type BackupStatus, type Settings, toCommandError } from "../api";
import { formatTime, useBackupStatus } from "../backup";
import { describedBy, Field } from "./Field";
import { newPasswordProblem, NewPasswordFields } from "./NewPassword";

/** The most backups the folder may keep (the shell checks the same range). */
export const MAX_KEEP = 100;

type FieldName = "backupFolder" | "backupKeep" | "backupPassword" | "backupRepeat" | "general";

/**
 * Automatic backups: on/off, the folder (the system folder dialog), how many to keep, the backup
 * password (kept in the system keyring), the last backup and "Back up now".
 */
export function BackupSettings(props: { settings: Settings; onSettings: (settings: Settings) => void }) {
  const { settings } = props;
  const [status, setStatus] = useBackupStatus(true);
  const [error, setError] = useState<{ field: FieldName; message: string } | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [keep, setKeep] = useState(String(settings.backupKeep));
  // Re-renders the checkbox from the settings after a refused change (a controlled checkbox the
  // browser already toggled would otherwise stay toggled).
  const [revision, setRevision] = useState(0);
  const errorFor = (field: FieldName) => (error?.field === field ? error.message : undefined);

  const refresh = () =>
    api
      .backupStatus()
      .then(setStatus)
      .catch(() => undefined);

  const save = async (next: Settings): Promise<boolean> => {
    setDone(undefined);
    try {
      props.onSettings(await api.saveSettings(next));
      setError(undefined);
      void refresh();
      return true;
    } catch (e) {
      const failure = toCommandError(e);
      const field = (["backupFolder", "backupKeep", "backupPassword"] as const).find((f) => f === failure.field) ?? "general";
      setError({ field, message: failure.message });
      setRevision((r) => r + 1);
      return false;
    }
  };

  const chooseFolder = async () => {
    try {
      const folder = await api.pickBackupFolder(settings.backupFolder);
      if (folder) await save({ ...settings, backupFolder: folder });
    } catch (e) {
      setError({ field: "backupFolder", message: toCommandError(e).message });
    }
  };

  const saveKeep = async () => {
    const n = Number(keep);
    if (!Number.isInteger(n) || n < 1 || n > MAX_KEEP) {
      setError({ field: "backupKeep", message: `Keep between 1 and ${MAX_KEEP} backups.` });
      return;
    }
    if (n !== settings.backupKeep) await save({ ...settings, backupKeep: n });
  };

  const backUpNow = async () => {
    setDone(undefined);
    setBusy(true);
    try {
      const next = await api.backupNow();
      setStatus(next);
      setError(undefined);
      setDone(`Backed up to ${next.folder ?? "the backup folder"}.`);
    } catch (e) {
      setError({ field: "general", message: toCommandError(e).message });
      void refresh();
    } finally {
      setBusy(false);
    }
  };

  const failure = status?.enabled ? status.error : null;
  return (
    <div class="form-grid" data-testid="backup-settings">
      <h3>Automatic backups</h3>
      <p class="field__hint">
        After the accounts change, an encrypted backup is written to a folder you choose (another disk, or a synced folder).
        It opens on any machine with the backup password.
      </p>
      <label class="check" key={revision}>
        <input
          type="checkbox"
          id="auto-backup"
          checked={settings.autoBackup}
          onChange={(e) => void save({ ...settings, autoBackup: e.currentTarget.checked })}
        />
        Back up automatically when accounts change
      </label>
      <Field id="backup-folder" label="Backup folder" error={errorFor("backupFolder")}>
        <div class="backup-folder">
          <code class="path" data-testid="backup-folder-path">
            {settings.backupFolder ?? "No folder chosen"}
          </code>
          <button
            type="button"
            class="button"
            id="backup-folder"
            onClick={() => void chooseFolder()}
            {...describedBy("backup-folder", errorFor("backupFolder"))}
          >
            Choose folder…
          </button>
        </div>
      </Field>
      <Field id="backup-keep" label="Backups to keep" error={errorFor("backupKeep")} hint={`1 to ${MAX_KEEP}; the oldest are deleted.`}>
        <input
          id="backup-keep"
          type="number"
          min={1}
          max={MAX_KEEP}
          value={keep}
          onInput={(e) => setKeep(e.currentTarget.value)}
          onChange={() => void saveKeep()}
          {...describedBy("backup-keep", errorFor("backupKeep"), "hint")}
        />
      </Field>
      <BackupPasswordForm
        passwordSet={status?.passwordSet ?? false}
        error={errorFor("backupPassword") ?? errorFor("backupRepeat")}
        errorField={error?.field}
        onError={(field, message) => setError({ field, message })}
        onSaved={(next) => {
          setStatus(next);
          setError(undefined);
          setDone("The backup password is stored in the system keyring.");
        }}
      />
      <p class="field__hint" data-testid="backup-last">
        {status?.lastBackupAt
          ? `Last backup: ${formatTime(status.lastBackupAt)} · ${status.backups === 1 ? "1 backup" : `${status.backups} backups`} in the folder.`
          : "No backup yet."}
        {status?.needsBackup && status.lastBackupAt ? " The accounts changed since." : ""}
      </p>
      {failure && (
        <p class="form-error" role="alert" data-testid="backup-error">
          The last automatic backup failed: {failure.message}
        </p>
      )}
      {errorFor("general") && (
        <p class="form-error" role="alert" data-testid="backup-now-error">
          {errorFor("general")}
        </p>
      )}
      <div class="settings__buttons">
        <button type="button" class="button" disabled={busy} onClick={() => void backUpNow()} data-testid="backup-now">
          {busy ? "Backing up…" : "Back up now"}
        </button>
      </div>
      {done && (
        <p class="field__hint" role="status" data-testid="backup-done">
          {done}
        </p>
      )}
    </div>
  );
}

/** The backup password, asked twice; stored in the system keyring by the shell. */
function BackupPasswordForm(props: {
  passwordSet: boolean;
  error: string | undefined;
  errorField: FieldName | undefined;
  onError: (field: FieldName, message: string) => void;
  onSaved: (status: BackupStatus) => void;
}) {
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const passwordError = props.errorField === "backupPassword" ? props.error : undefined;
  const repeatError = props.errorField === "backupRepeat" ? props.error : undefined;

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = newPasswordProblem(password, repeat);
    if (problem) {
      props.onError(problem.field === "password" ? "backupPassword" : "backupRepeat", problem.message);
      return;
    }
    try {
      const status = await api.setBackupPassword(password);
      setPassword("");
      setRepeat("");
      props.onSaved(status);
    } catch (e) {
      props.onError("backupPassword", toCommandError(e).message);
    }
  };

  return (
    <form class="form-grid" noValidate onSubmit={submit} data-testid="backup-password-form">
      <p class="field__hint">
        {props.passwordSet
          ? "A backup password is stored in the system keyring. Changing it applies to the next backups; older ones keep theirs."
          : "Backups are encrypted with a password of their own, kept in the system keyring so they are written without asking. Keep a copy of it away from this device."}
      </p>
      <NewPasswordFields
        ids={{ password: "backup-password", repeat: "backup-repeat" }}
        label={props.passwordSet ? "New backup password" : "Backup password"}
        repeatLabel="Repeat the backup password"
        password={password}
        repeat={repeat}
        onPassword={setPassword}
        onRepeat={setRepeat}
        passwordError={passwordError}
        repeatError={repeatError}
      />
      <div class="settings__buttons">
        <button type="submit" class="button" data-testid="save-backup-password">
          {props.passwordSet ? "Change backup password" : "Set backup password"}
        </button>
      </div>
    </form>
  );
}
