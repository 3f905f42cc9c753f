import { useEffect, useState } from "preact/hooks";
import { type AddedAccounts, api, type ImportPreview, toCommandError } from "../api";
import { describedBy, Field } from "./Field";
import { Modal } from "./Modal";

const FORMAT_LABELS: Record<string, string> = {
  pskc: "PSKC token file, RFC 6030",
  csv: "CSV token file (serial, secret, interval)",
  aegis: "Aegis",
  google: "Google Authenticator (otpauth-migration links)",
  "2fas": "2FAS",
  andotp: "andOTP",
  bitwarden: "Bitwarden (JSON)",
  "bitwarden-csv": "Bitwarden (CSV)",
  "freeotp-plus": "FreeOTP+",
  ente: "Ente Auth",
  "authenticator-pro": "Authenticator Pro",
  otpauth: "otpauth:// links, one per line",
};

/**
 * Import from another authenticator or a token file: choose the file, see what it holds (how many
 * accounts, which are already here, which entries cannot be read), then add them in one save.
 * A file that cannot be read is refused with the reason; nothing is stored then.
 */
export function ImportDialog(props: { onImported: (result: AddedAccounts) => void; onClose: () => void; path?: string }) {
  const [path, setPath] = useState<string | null>(props.path ?? null);
  const [formats, setFormats] = useState<string[]>([]);
  const [format, setFormat] = useState("auto");
  const [password, setPassword] = useState("");
  const [key, setKey] = useState("");
  const [needs, setNeeds] = useState<"password" | "key" | null>(null);
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [keep, setKeep] = useState(false);
  const [error, setError] = useState<{ field?: string; message: string } | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .importFormats()
      .then(setFormats)
      .catch(() => undefined);
  }, []);

  const read = async (file: string) => {
    setBusy(true);
    setError(undefined);
    setPreview(null);
    try {
      const options: { format?: string; password?: string; key?: string } = { format };
      if (password) options.password = password;
      if (key) options.key = key;
      setPreview(await api.importPreview(file, options));
    } catch (e) {
      const failure = toCommandError(e);
      if (failure.code === "password_required" || failure.code === "wrong_password") setNeeds("password");
      if (failure.code === "key_required" || failure.code === "invalid_key") setNeeds("key");
      setError(failure.field ? { field: failure.field, message: failure.message } : { message: failure.message });
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (props.path) void read(props.path);
    // Only the path given on open is read at once; later reads follow the user's choices.
  }, [props.path]);

  const choose = async () => {
    try {
      const chosen = await api.pickImportFile();
      if (!chosen) return;
      setPath(chosen);
      setNeeds(null);
      setPassword("");
      setKey("");
      await read(chosen);
    } catch (e) {
      setError({ message: toCommandError(e).message });
    }
  };

  const apply = async () => {
    if (!preview) return;
    setBusy(true);
    try {
      props.onImported(await api.importApply(preview.token, keep));
    } catch (e) {
      setError({ message: toCommandError(e).message });
      setBusy(false);
    }
  };

  const adding = preview ? preview.entries.length - (keep ? 0 : preview.entries.filter((e) => e.duplicate).length) : 0;
  const errorFor = (field: string) => (error?.field === field ? error.message : undefined);
  const general = error && !error.field ? error.message : undefined;

  return (
    <Modal title="Import accounts" onClose={props.onClose} testId="import-dialog">
      <p class="field__hint">
        From Aegis, 2FAS, andOTP, Bitwarden, FreeOTP+, Ente Auth, Authenticator Pro, Google Authenticator links, a list of
        otpauth:// links, or a PSKC or CSV token file from your token vendor.
      </p>
      <form
        class="form-grid"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (path) void read(path);
        }}
      >
        <div class="settings__buttons">
          <button type="button" class="button" data-autofocus onClick={() => void choose()} disabled={busy} data-testid="import-choose">
            Choose a file…
          </button>
          {path && <code class="path" data-testid="import-path">{path}</code>}
        </div>
        <Field id="import-format" label="Format">
          <select id="import-format" value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
            <option value="auto">Detect from the file</option>
            {formats.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f] ?? f}
              </option>
            ))}
          </select>
        </Field>
        {needs === "password" && (
          <Field id="import-password" label="The file's password" error={errorFor("password")}>
            <input
              id="import-password"
              type="password"
              autocomplete="off"
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
              {...describedBy("import-password", errorFor("password"))}
            />
          </Field>
        )}
        {needs === "key" && (
          <Field id="import-key" label="Pre-shared key (hex)" error={errorFor("key")}>
            <input
              id="import-key"
              class="mono"
              autocomplete="off"
              spellcheck={false}
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
              {...describedBy("import-key", errorFor("key"))}
            />
          </Field>
        )}
        {path && (needs || format !== "auto") && (
          <div class="settings__buttons">
            <button type="submit" class="button" disabled={busy} data-testid="import-read">
              Read the file again
            </button>
          </div>
        )}
      </form>
      {busy && (
        <p class="field__hint" role="status">
          Reading…
        </p>
      )}
      {general && (
        <p class="form-error" role="alert" data-testid="import-error">
          {general}
        </p>
      )}
      {preview && (
        <div class="import__preview" data-testid="import-preview">
          <p data-testid="import-summary">
            {summary(preview)}
          </p>
          <ul class="scan__accounts">
            {preview.entries.map((e) => (
              <li key={e.index}>
                <strong>{e.issuer || e.name}</strong> {e.issuer && <span>{e.name}</span>}
                {e.duplicate && <span class="scan__duplicate"> · already here</span>}
              </li>
            ))}
          </ul>
          {preview.errors.length > 0 && (
            <details class="advanced" open>
              <summary>
                {preview.errors.length === 1 ? "1 entry cannot be imported" : `${preview.errors.length} entries cannot be imported`}
              </summary>
              <ul class="import__errors">
                {preview.errors.map((e, i) => (
                  <li key={i}>
                    {e.source}: {e.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
          {preview.duplicates > 0 && (
            <label class="check">
              <input type="checkbox" checked={keep} onChange={(e) => setKeep(e.currentTarget.checked)} />
              Import the {preview.duplicates === 1 ? "duplicate" : `${preview.duplicates} duplicates`} anyway
            </label>
          )}
        </div>
      )}
      <div class="modal__buttons">
        <button type="button" class="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="button button--primary"
          disabled={busy || !preview || adding === 0}
          onClick={() => void apply()}
          data-testid="import-apply"
        >
          {adding === 1 ? "Import 1 account" : `Import ${adding} accounts`}
        </button>
      </div>
    </Modal>
  );
}

/** "3 accounts in this file (Aegis), 1 already in the vault." */
export function summary(preview: ImportPreview): string {
  const count = preview.entries.length;
  const name = FORMAT_LABELS[preview.format] ?? preview.format;
  const accounts = count === 1 ? "1 account" : `${count} accounts`;
  const duplicates = preview.duplicates ? `, ${preview.duplicates} already in the vault` : "";
  return `${accounts} in this file (${name})${duplicates}.`;
}
