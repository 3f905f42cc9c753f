import { useState } from "preact/hooks";
import { type Account, api, type TransferPage, toCommandError } from "../api";

/** An SVG from the shell as an image (a data URL: the SVG's markup never enters the page's DOM). */
export function QrImage(props: { svg: string; label: string; testId: string }) {
  return (
    <img
      class="qr"
      src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(props.svg)}`}
      alt={props.label}
      data-testid={props.testId}
    />
  );
}

/** Asks before a QR code that reveals secrets is shown; `onConfirm` runs once the user agrees. */
function RevealConfirm(props: { what: string; onConfirm: () => void; onBack: () => void; busy: boolean; error: string | undefined }) {
  return (
    <div data-testid="reveal-confirm">
      <p class="warning" role="note">
        {props.what} shows the secret key. Anyone who sees or photographs it can make your codes. Show it only where nobody
        else can see the screen.
      </p>
      {props.error && (
        <p class="form-error" role="alert" data-testid="qr-error">
          {props.error}
        </p>
      )}
      <div class="modal__buttons">
        <button type="button" class="button" data-autofocus onClick={props.onBack}>
          Back
        </button>
        <button type="button" class="button button--primary" disabled={props.busy} onClick={props.onConfirm} data-testid="reveal-confirm-show">
          Show the QR code
        </button>
      </div>
    </div>
  );
}

/** One account as an otpauth:// QR code, after a confirmation. */
export function ShowQrView(props: { account: Account; onBack: () => void }) {
  const { account } = props;
  const [svg, setSvg] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const label = account.issuer ? `${account.issuer} (${account.name})` : account.name;

  const show = async () => {
    setBusy(true);
    try {
      setSvg(await api.accountQr(account.id));
    } catch (e) {
      setError(toCommandError(e).message);
    } finally {
      setBusy(false);
    }
  };

  if (!svg) return <RevealConfirm what={`The QR code of ${label}`} onConfirm={() => void show()} onBack={props.onBack} busy={busy} error={error} />;
  return (
    <div class="qr-view">
      <QrImage svg={svg} label={`QR code of ${label}`} testId="account-qr" />
      <p class="field__hint">Scan it with the authenticator that should have {label}.</p>
      <div class="modal__buttons">
        <button type="button" class="button" data-autofocus onClick={props.onBack}>
          Hide
        </button>
      </div>
    </div>
  );
}

/** Google Authenticator transfer codes, one page at a time ("1 of N"), after a confirmation. */
export function TransferQrView(props: { ids: string[]; onBack: () => void }) {
  const [pages, setPages] = useState<TransferPage[] | null>(null);
  const [page, setPage] = useState(0);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const show = async () => {
    setBusy(true);
    try {
      setPages(await api.transferQr(props.ids));
    } catch (e) {
      setError(toCommandError(e).message);
    } finally {
      setBusy(false);
    }
  };

  if (!pages)
    return (
      <RevealConfirm
        what={props.ids.length === 1 ? "The transfer code" : `The transfer codes of ${props.ids.length} accounts`}
        onConfirm={() => void show()}
        onBack={props.onBack}
        busy={busy}
        error={error}
      />
    );
  const current = pages[page]!;
  return (
    <div class="qr-view">
      <QrImage svg={current.svg} label={`Transfer code ${current.number} of ${current.total}`} testId="transfer-qr" />
      <p class="qr-view__page" data-testid="transfer-page" aria-live="polite">
        {current.number} of {current.total} · {current.accounts === 1 ? "1 account" : `${current.accounts} accounts`}
      </p>
      <div class="modal__buttons">
        <button type="button" class="button" onClick={props.onBack}>
          Done
        </button>
        <button type="button" class="button" disabled={page === 0} onClick={() => setPage(page - 1)} data-testid="transfer-prev">
          Previous
        </button>
        <button
          type="button"
          class="button button--primary"
          data-autofocus
          disabled={page + 1 >= pages.length}
          onClick={() => setPage(page + 1)}
          data-testid="transfer-next"
        >
          Next code
        </button>
      </div>
    </div>
  );
}
