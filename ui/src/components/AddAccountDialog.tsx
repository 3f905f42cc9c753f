import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Account, type AddedAccounts, type Algorithm, type NewAccount, type OtpKind, toCommandError } from "../api";
import { isActivationUri } from "../push";
import { describedBy, DialogButtons, Field, LinkField } from "./Field";
import { Modal } from "./Modal";
import { type ScanInput, ScanPanel } from "./ScanPanel";

type Mode = "scan" | "uri" | "manual";

const EMPTY: NewAccount = {
  issuer: "",
  name: "",
  secret: "",
  kind: "totp",
  algorithm: "SHA1",
  digits: 6,
  period: 30,
  counter: 0,
  group: null,
};

/** How long typing pauses before the form is checked by the core's parser. */
export const VALIDATE_DELAY_MS = 150;

/**
 * Add an account by scanning a QR code (image file, pasted or dropped image, screen, camera), by
 * pasting an otpauth:// URI, or by filling in its fields. `scan` opens the scan tab on an input.
 * A pasted countersign://activate link goes to `onActivationUri` (push sign-in) instead.
 */
export function AddAccountDialog(props: {
  groups: string[];
  onAdded: (account: Account) => void;
  onClose: () => void;
  onActivationUri?: (uri: string) => void;
  scan?: ScanInput | undefined;
  onScanned?: (added: AddedAccounts) => void;
}) {
  const [mode, setMode] = useState<Mode>(props.scan ? "scan" : "uri");
  const [scanInput, setScanInput] = useState<ScanInput | undefined>(props.scan);

  // An image pasted anywhere in the dialog is scanned.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = pastedImage(event);
      if (!file) return;
      event.preventDefault();
      void file.arrayBuffer().then((buffer) => {
        setScanInput({ kind: "bytes", bytes: new Uint8Array(buffer), what: "the pasted image" });
        setMode("scan");
      });
    };
    window.addEventListener("paste", onPaste);
    return () => window.removeEventListener("paste", onPaste);
  }, []);

  return (
    <Modal title="Add account" onClose={props.onClose} testId="add-dialog">
      <div class="tabs" role="tablist" aria-label="How to add">
        <button
          type="button"
          role="tab"
          id="tab-scan"
          aria-selected={mode === "scan"}
          aria-controls="panel-add"
          class="tab"
          onClick={() => setMode("scan")}
          data-testid="tab-scan"
        >
          Scan QR code
        </button>
        <button
          type="button"
          role="tab"
          id="tab-uri"
          aria-selected={mode === "uri"}
          aria-controls="panel-add"
          class="tab"
          onClick={() => setMode("uri")}
        >
          Paste a link
        </button>
        <button
          type="button"
          role="tab"
          id="tab-manual"
          aria-selected={mode === "manual"}
          aria-controls="panel-add"
          class="tab"
          onClick={() => setMode("manual")}
        >
          Enter manually
        </button>
      </div>
      <div id="panel-add" role="tabpanel" aria-labelledby={`tab-${mode}`}>
        {mode === "scan" ? (
          <ScanPanel
            input={scanInput}
            onClose={props.onClose}
            onActivationUri={props.onActivationUri}
            onAdded={(added) => {
              if (props.onScanned) props.onScanned(added);
              else added.added.forEach(props.onAdded);
            }}
          />
        ) : mode === "uri" ? (
          <UriForm onAdded={props.onAdded} onClose={props.onClose} onActivationUri={props.onActivationUri} />
        ) : (
          <ManualForm groups={props.groups} onAdded={props.onAdded} onClose={props.onClose} />
        )}
      </div>
    </Modal>
  );
}

/** The first image in a paste, if any. */
export function pastedImage(event: ClipboardEvent): File | null {
  for (const item of Array.from(event.clipboardData?.items ?? [])) {
    if (item.kind === "file" && item.type.startsWith("image/")) return item.getAsFile();
  }
  return null;
}

function UriForm(props: {
  onAdded: (account: Account) => void;
  onClose: () => void;
  onActivationUri?: ((uri: string) => void) | undefined;
}) {
  const [uri, setUri] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event?: Event) => {
    event?.preventDefault();
    if (!uri.trim()) {
      setError("Paste the otpauth:// link the site showed as a QR code.");
      return;
    }
    if (props.onActivationUri && isActivationUri(uri)) {
      props.onActivationUri(uri.trim());
      return;
    }
    setBusy(true);
    try {
      props.onAdded(await api.addAccountUri(uri.trim()));
    } catch (e) {
      setError(toCommandError(e).message);
    } finally {
      setBusy(false);
    }
  };

  const hint = "Starts with otpauth://totp/ or otpauth://hotp/ (a countersign://activate link sets up push sign-in)";
  return (
    <form onSubmit={submit} noValidate>
      <LinkField
        id="uri"
        label="Link (otpauth:// URI)"
        hint={hint}
        error={error}
        rows={3}
        value={uri}
        onInput={(value) => {
          setUri(value);
          setError(undefined);
        }}
        onSubmit={() => void submit()}
      />
      <DialogButtons submit="Add" busy={busy} onCancel={props.onClose} testId="add-submit" />
    </form>
  );
}

function ManualForm(props: { groups: string[]; onAdded: (account: Account) => void; onClose: () => void }) {
  const [form, setForm] = useState<NewAccount>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [general, setGeneral] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const latest = useRef(0);

  useEffect(() => {
    if (touched.size === 0) return;
    const ticket = ++latest.current;
    const timer = setTimeout(() => {
      api
        .validateAccount(form)
        .then((found) => {
          if (ticket !== latest.current) return; // a newer check is under way
          setErrors(Object.fromEntries(found.map((e) => [e.field, e.message])));
        })
        .catch((e: unknown) => setGeneral(toCommandError(e).message));
    }, VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [form, touched]);

  const update = <K extends keyof NewAccount>(key: K, value: NewAccount[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setTouched((t) => (t.has(key) ? t : new Set([...t, key])));
  };
  const shown = (key: string) => (touched.has(key) ? errors[key] : undefined);

  const submit = async (event: Event) => {
    event.preventDefault();
    setTouched(new Set(Object.keys(form)));
    setBusy(true);
    try {
      const found = await api.validateAccount(form);
      if (found.length > 0) {
        setErrors(Object.fromEntries(found.map((e) => [e.field, e.message])));
        return;
      }
      props.onAdded(await api.addAccount(form));
    } catch (e) {
      const error = toCommandError(e);
      if (error.field) setErrors((all) => ({ ...all, [error.field!]: error.message }));
      else setGeneral(error.message);
    } finally {
      setBusy(false);
    }
  };

  const timeBased = form.kind !== "hotp";
  const steam = form.kind === "steam";
  return (
    <form onSubmit={submit} noValidate class="form-grid">
      <Field id="issuer" label="Service (issuer)" error={shown("issuer")}>
        <input
          id="issuer"
          data-autofocus
          autocomplete="off"
          value={form.issuer}
          onInput={(e) => update("issuer", e.currentTarget.value)}
          {...describedBy("issuer", shown("issuer"))}
        />
      </Field>
      <Field id="name" label="Account" error={shown("name")}>
        <input
          id="name"
          autocomplete="off"
          placeholder="you@example.com"
          value={form.name}
          onInput={(e) => update("name", e.currentTarget.value)}
          {...describedBy("name", shown("name"))}
        />
      </Field>
      <Field id="secret" label="Secret key" error={shown("secret")} hint="Base32 letters A–Z and 2–7; spaces are fine">
        <input
          id="secret"
          autocomplete="off"
          spellcheck={false}
          class="mono"
          value={form.secret}
          onInput={(e) => update("secret", e.currentTarget.value)}
          {...describedBy("secret", shown("secret"), "Base32 letters A–Z and 2–7; spaces are fine")}
        />
      </Field>
      <Field id="kind" label="Type" error={shown("kind")}>
        <select id="kind" value={form.kind} onChange={(e) => update("kind", e.currentTarget.value as OtpKind)}>
          <option value="totp">Time-based (TOTP)</option>
          <option value="hotp">Counter-based (HOTP)</option>
          <option value="steam">Steam Guard</option>
        </select>
      </Field>
      {!steam && (
        <details class="advanced" open={Boolean(shown("digits") || shown("period") || shown("algorithm") || shown("counter"))}>
          <summary>Advanced</summary>
          <Field id="algorithm" label="Algorithm" error={shown("algorithm")}>
            <select
              id="algorithm"
              value={form.algorithm}
              onChange={(e) => update("algorithm", e.currentTarget.value as Algorithm)}
            >
              <option value="SHA1">SHA-1 (most sites)</option>
              <option value="SHA256">SHA-256</option>
              <option value="SHA512">SHA-512</option>
            </select>
          </Field>
          <Field id="digits" label="Digits" error={shown("digits")}>
            <input
              id="digits"
              type="number"
              min={6}
              max={10}
              value={form.digits}
              onInput={(e) => update("digits", Number(e.currentTarget.value))}
              {...describedBy("digits", shown("digits"))}
            />
          </Field>
          {timeBased ? (
            <Field id="period" label="Period (seconds)" error={shown("period")}>
              <input
                id="period"
                type="number"
                min={1}
                value={form.period}
                onInput={(e) => update("period", Number(e.currentTarget.value))}
                {...describedBy("period", shown("period"))}
              />
            </Field>
          ) : (
            <Field id="counter" label="Counter" error={shown("counter")}>
              <input
                id="counter"
                type="number"
                min={0}
                value={form.counter}
                onInput={(e) => update("counter", Number(e.currentTarget.value))}
                {...describedBy("counter", shown("counter"))}
              />
            </Field>
          )}
        </details>
      )}
      <Field id="group" label="Group (optional)" error={shown("group")}>
        <input
          id="group"
          list="group-options"
          autocomplete="off"
          value={form.group ?? ""}
          onInput={(e) => update("group", e.currentTarget.value.trim() ? e.currentTarget.value : null)}
        />
        <datalist id="group-options">
          {props.groups.map((g) => (
            <option key={g} value={g} />
          ))}
        </datalist>
      </Field>
      {general && (
        <p class="form-error" role="alert">
          {general}
        </p>
      )}
      <DialogButtons submit="Add" busy={busy} onCancel={props.onClose} testId="add-submit" />
    </form>
  );
}
