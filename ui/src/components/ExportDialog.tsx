import { useEffect, useState } from "preact/hooks";
import { type Account, api, type ExportFormat, toCommandError } from "../api";
import { Field } from "./Field";
import { Modal } from "./Modal";
import { newPasswordProblem, NewPasswordFields } from "./NewPassword";
import { ShowQrView, TransferQrView } from "./ShowQr";

type Tab = "backup" | "plain" | "qr";
type QrView = { kind: "account"; account: Account } | { kind: "transfer"; ids: string[] } | null;

/**
 * Export accounts: an encrypted backup (a Countersign vault, or an Aegis vault that Aegis opens),
 * a plaintext list of otpauth:// links after a warning, or QR codes to move accounts to a phone.
 */
export function ExportDialog(props: { onClose: () => void }) {
  const [tab, setTab] = useState<Tab>("backup");
  const [qr, setQr] = useState<QrView>(null);
  const title = qr ? (qr.kind === "account" ? "Account QR code" : "Transfer QR codes") : "Export accounts";
  return (
    <Modal title={title} onClose={props.onClose} testId="export-dialog">
      {qr?.kind === "account" ? (
        <ShowQrView account={qr.account} onBack={() => setQr(null)} />
      ) : qr?.kind === "transfer" ? (
        <TransferQrView ids={qr.ids} onBack={() => setQr(null)} />
      ) : (
        <>
          <div class="tabs" role="tablist" aria-label="What to export">
            {(
              [
                ["backup", "Encrypted backup"],
                ["plain", "Plain text"],
                ["qr", "QR codes"],
              ] as const
            ).map(([id, label]) => (
              <button
                key={id}
                type="button"
                role="tab"
                id={`export-tab-${id}`}
                aria-selected={tab === id}
                aria-controls="export-panel"
                class="tab"
                onClick={() => setTab(id)}
                data-testid={`export-tab-${id}`}
              >
                {label}
              </button>
            ))}
          </div>
          <div id="export-panel" role="tabpanel" aria-labelledby={`export-tab-${tab}`}>
            {tab === "backup" ? (
              <BackupForm />
            ) : tab === "plain" ? (
              <PlainForm />
            ) : (
              <QrChooser onShow={setQr} />
            )}
          </div>
          <div class="modal__buttons">
            <button type="button" class="button" onClick={props.onClose}>
              Close
            </button>
          </div>
        </>
      )}
    </Modal>
  );
}

function BackupForm() {
  const [format, setFormat] = useState<ExportFormat>("countersign");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<{ field: string; message: string } | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const errorFor = (field: string) => (error?.field === field ? error.message : undefined);

  const save = async (event: Event) => {
    event.preventDefault();
    setDone(undefined);
    const problem = newPasswordProblem(password, repeat);
    if (problem) {
      setError({ field: `export-${problem.field}`, message: problem.message });
      return;
    }
    setError(undefined);
    try {
      const stamp = new Date().toISOString().slice(0, 10);
      const path =
        format === "aegis"
          ? await api.pickSavePath(`aegis-export-${stamp}.json`, ["json"])
          : await api.pickSavePath(`countersign-backup-${stamp}.csv1`, ["csv1"]);
      if (!path) return;
      setBusy(true);
      const count = await api.exportFile(path, format, password);
      setPassword("");
      setRepeat("");
      setDone(`Saved ${count === 1 ? "1 account" : `${count} accounts`} to ${path}. It opens with the password you chose.`);
    } catch (e) {
      setError({ field: "export-password", message: toCommandError(e).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form-grid" noValidate onSubmit={save} data-testid="export-backup">
      <Field id="export-format" label="Format">
        <select id="export-format" value={format} onChange={(e) => setFormat(e.currentTarget.value as ExportFormat)}>
          <option value="countersign">Countersign backup (opens in Countersign on any machine)</option>
          <option value="aegis">Aegis vault (opens in Aegis and apps that import it)</option>
        </select>
      </Field>
      <NewPasswordFields
        ids={{ password: "export-password", repeat: "export-repeat" }}
        label="Password for the backup"
        repeatLabel="Repeat it"
        password={password}
        repeat={repeat}
        onPassword={setPassword}
        onRepeat={setRepeat}
        passwordError={errorFor("export-password")}
        repeatError={errorFor("export-repeat")}
      />
      <div class="settings__buttons">
        <button type="submit" class="button button--primary" disabled={busy} data-testid="export-save">
          Save backup…
        </button>
      </div>
      {done && (
        <p class="field__hint" role="status" data-testid="export-done">
          {done}
        </p>
      )}
    </form>
  );
}

function PlainForm() {
  const [understood, setUnderstood] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();

  const save = async () => {
    setDone(undefined);
    setError(undefined);
    try {
      const path = await api.pickSavePath("countersign-accounts.txt", ["txt"]);
      if (!path) return;
      const count = await api.exportFile(path, "otpauth", null);
      setDone(`Saved ${count === 1 ? "1 account" : `${count} accounts`} to ${path}. Delete the file once you have imported it.`);
    } catch (e) {
      setError(toCommandError(e).message);
    }
  };

  return (
    <div class="form-grid" data-testid="export-plain">
      <p class="warning" role="note">
        A plain export is <strong>not encrypted</strong>: anyone who reads the file can make every code of every account.
        Use it only to move accounts to an app that cannot read an encrypted backup, and delete it afterwards.
      </p>
      <label class="check">
        <input type="checkbox" checked={understood} onChange={(e) => setUnderstood(e.currentTarget.checked)} data-testid="export-understood" />
        I understand the file holds my secrets in plain text
      </label>
      <div class="settings__buttons">
        <button type="button" class="button" disabled={!understood} onClick={() => void save()} data-testid="export-plain-save">
          Save otpauth:// links…
        </button>
      </div>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {done && (
        <p class="field__hint" role="status">
          {done}
        </p>
      )}
    </div>
  );
}

function QrChooser(props: { onShow: (view: QrView) => void }) {
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    api
      .listAccounts()
      .then((list) => {
        setAccounts(list);
        setChosen(new Set(list.filter((a) => a.kind !== "steam").map((a) => a.id)));
      })
      .catch((e: unknown) => setError(toCommandError(e).message));
  }, []);

  const toggle = (id: string, on: boolean) =>
    setChosen((old) => {
      const next = new Set(old);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <div class="form-grid" data-testid="export-qr">
      <p class="field__hint">
        Show an account as a QR code for any authenticator, or the chosen accounts as Google Authenticator transfer codes
        (scan them with “Transfer accounts → Import accounts” on the phone). Both show the secrets: do it where nobody
        can see your screen.
      </p>
      <ul class="export__accounts">
        {accounts.map((a) => (
          <li key={a.id}>
            <label class="check">
              <input type="checkbox" checked={chosen.has(a.id)} onChange={(e) => toggle(a.id, e.currentTarget.checked)} />
              {a.issuer ? `${a.issuer} (${a.name})` : a.name}
            </label>
            <button
              type="button"
              class="button button--small"
              onClick={() => props.onShow({ kind: "account", account: a })}
              data-testid={`show-qr-${a.id}`}
              aria-label={`Show ${a.issuer || a.name} as a QR code`}
            >
              QR
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="settings__buttons">
        <button
          type="button"
          class="button button--primary"
          disabled={chosen.size === 0}
          onClick={() => props.onShow({ kind: "transfer", ids: accounts.filter((a) => chosen.has(a.id)).map((a) => a.id) })}
          data-testid="show-transfer"
        >
          Show transfer codes for {chosen.size === 1 ? "1 account" : `${chosen.size} accounts`}
        </button>
      </div>
    </div>
  );
}
