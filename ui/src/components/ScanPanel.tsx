import { useEffect, useRef, useState } from "preact/hooks";
import { type Account, type AddedAccounts, api, IMAGE_EXTENSIONS, isMobile, type ScanOutcome, toCommandError } from "../api";

/** What the panel scans as soon as it opens: a dropped file or a pasted image. */
export type ScanInput = { kind: "file"; path: string } | { kind: "bytes"; bytes: Uint8Array; what: string };

/** The message shown when the system has no camera (or none the webview can use). */
export const NO_CAMERA =
  "No camera was found. Connect a camera, or open an image of the QR code, paste one, or scan the screen instead.";
/** Milliseconds between camera frames sent for decoding. */
export const FRAME_INTERVAL_MS = 250;
/** The longer side camera frames are scaled to before decoding. */
const FRAME_SIDE = 960;

/**
 * Add accounts from QR codes: an image file, a pasted or dropped image, the screen, or the camera.
 * What each code holds is shown first; accounts are added only when the user confirms.
 */
export function ScanPanel(props: {
  input?: ScanInput | undefined;
  onAdded: (added: AddedAccounts) => void;
  onClose: () => void;
  /** A scanned countersign://activate code goes here (push sign-in activation). */
  onActivationUri?: ((uri: string) => void) | undefined;
}) {
  const [outcome, setOutcome] = useState<{ source: string; result: ScanOutcome } | null>(null);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState<string | null>(null);
  const [camera, setCamera] = useState(false);

  const run = async (source: string, scan: () => Promise<ScanOutcome>) => {
    setBusy(source);
    setError(undefined);
    try {
      setOutcome({ source, result: await scan() });
    } catch (e) {
      setOutcome(null);
      setError(toCommandError(e).message);
    } finally {
      setBusy(null);
    }
  };

  const input = props.input;
  useEffect(() => {
    if (!input) return;
    if (input.kind === "file") void run(fileName(input.path), () => api.scanFile(input.path));
    else void run(input.what, () => api.scanImage(input.bytes));
  }, [input]);

  const openImage = async () => {
    try {
      const path = await api.pickImage();
      if (path) await run(fileName(path), () => api.scanFile(path));
    } catch (e) {
      setError(toCommandError(e).message);
    }
  };

  return (
    <div class="scan" data-testid="scan-panel">
      <p class="field__hint">
        Open a screenshot or photo of the QR code, scan what is on your screen, or use the camera. You can also paste an
        image (Ctrl+V) or drop one on the window.
      </p>
      <div class="settings__buttons">
        <button type="button" class="button" data-autofocus onClick={() => void openImage()} disabled={busy !== null} data-testid="scan-open">
          Open an image…
        </button>
        <button
          type="button"
          class="button"
          onClick={() => void run("the screen", api.scanScreen)}
          disabled={busy !== null}
          data-testid="scan-screen"
        >
          Scan the screen
        </button>
        <button
          type="button"
          class="button"
          onClick={() => (isMobile() ? void run("the camera", api.scanWithPhoneCamera) : setCamera((on) => !on))}
          aria-pressed={camera}
          data-testid="scan-camera"
        >
          {camera ? "Stop the camera" : "Use the camera"}
        </button>
      </div>
      {busy && (
        <p class="field__hint" role="status">
          Scanning {busy}…
        </p>
      )}
      {camera && (
        <CameraScanner
          onFound={(result) => {
            setCamera(false);
            setOutcome({ source: "the camera", result });
          }}
          onError={(message) => {
            setCamera(false);
            setError(message);
          }}
        />
      )}
      {error && (
        <p class="form-error" role="alert" data-testid="scan-error">
          {error}
        </p>
      )}
      {outcome && <ScanResult source={outcome.source} outcome={outcome.result} onAdded={props.onAdded} onActivationUri={props.onActivationUri} />}
      <div class="modal__buttons">
        <button type="button" class="button" onClick={props.onClose}>
          Close
        </button>
      </div>
    </div>
  );
}

/** What a scan found, and (for accounts) the button that adds them. */
export function ScanResult(props: {
  source: string;
  outcome: ScanOutcome;
  onAdded: (added: AddedAccounts) => void;
  onActivationUri?: ((uri: string) => void) | undefined;
}) {
  const { codes, ready } = props.outcome;
  const [keep, setKeep] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const duplicates = ready?.accounts.filter((a) => a.duplicate).length ?? 0;
  const adding = ready ? ready.accounts.length - (keep ? 0 : duplicates) : 0;

  const add = async () => {
    if (!ready) return;
    setBusy(true);
    try {
      props.onAdded(await api.addScanned(ready.token, keep));
    } catch (e) {
      setError(toCommandError(e).message);
      setBusy(false);
    }
  };

  if (codes.length === 0)
    return (
      <p class="form-error" role="alert" data-testid="scan-nothing">
        No QR code was found in {props.source}. Make sure the whole code is visible and sharp.
      </p>
    );
  return (
    <div class="scan__result" data-testid="scan-result">
      <ul class="scan__codes">
        {codes.map((code, i) => (
          <li key={i} class={`scan__code scan__code--${code.kind}`} data-kind={code.kind}>
            {code.message}
            {code.activationUri && props.onActivationUri && (
              <>
                {" "}
                <button
                  type="button"
                  class="button button--small"
                  data-testid="scan-activate"
                  onClick={() => code.activationUri && props.onActivationUri?.(code.activationUri)}
                >
                  Activate push sign-in…
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {ready && (
        <>
          <p class="field__hint">
            {ready.accounts.length === 1 ? "This account will be added:" : `These ${ready.accounts.length} accounts will be added:`}
          </p>
          <ul class="scan__accounts" data-testid="scan-accounts">
            {ready.accounts.map((a) => (
              <li key={a.id}>
                <strong>{a.issuer || a.name}</strong> {a.issuer && <span>{a.name}</span>} <span class="scan__meta">{describe(a)}</span>
                {a.duplicate && <span class="scan__duplicate"> · already in the vault</span>}
              </li>
            ))}
          </ul>
          {duplicates > 0 && (
            <label class="check">
              <input type="checkbox" checked={keep} onChange={(e) => setKeep(e.currentTarget.checked)} />
              Add the {duplicates === 1 ? "duplicate" : `${duplicates} duplicates`} anyway
            </label>
          )}
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <div class="modal__buttons">
            <button
              type="button"
              class="button button--primary"
              disabled={busy || adding === 0}
              onClick={() => void add()}
              data-testid="scan-add"
            >
              {adding === 1 ? "Add account" : `Add ${adding} accounts`}
            </button>
          </div>
        </>
      )}
    </div>
  );
}

function describe(account: Account): string {
  if (account.kind === "hotp") return `HOTP, ${account.digits} digits`;
  if (account.kind === "steam") return "Steam Guard";
  return `TOTP, ${account.digits} digits, ${account.period ?? 30} s`;
}

/** Whether a path names an image the scanner reads (by its extension). */
export function isImagePath(path: string): boolean {
  const extension = path.split(".").pop()?.toLowerCase() ?? "";
  return IMAGE_EXTENSIONS.includes(extension);
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}

/**
 * The camera's picture, with frames sent to the shell for decoding until one holds a QR code.
 * Tells the user plainly when there is no camera.
 */
export function CameraScanner(props: { onFound: (outcome: ScanOutcome) => void; onError: (message: string) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [live, setLive] = useState(false);
  // The callbacks change on every render of the parent; the camera must not restart for that.
  const callbacks = useRef(props);
  callbacks.current = props;
  const onFound = (outcome: ScanOutcome) => callbacks.current.onFound(outcome);
  const onError = (message: string) => callbacks.current.onError(message);

  useEffect(() => {
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const canvas = document.createElement("canvas");

    const grab = async () => {
      const element = video.current;
      if (stopped || !element || element.videoWidth === 0) {
        if (!stopped) timer = setTimeout(() => void grab(), FRAME_INTERVAL_MS);
        return;
      }
      const scale = Math.min(1, FRAME_SIDE / Math.max(element.videoWidth, element.videoHeight));
      const width = Math.round(element.videoWidth * scale);
      const height = Math.round(element.videoHeight * scale);
      canvas.width = width;
      canvas.height = height;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      if (!context) return onError("The camera picture cannot be read in this window.");
      context.drawImage(element, 0, 0, width, height);
      const outcome = await api.scanFrame(toGrey(context.getImageData(0, 0, width, height).data), width, height).catch(() => null);
      if (stopped) return;
      if (outcome && outcome.codes.length > 0) onFound(outcome);
      else timer = setTimeout(() => void grab(), FRAME_INTERVAL_MS);
    };

    (async () => {
      try {
        stream = await openCamera();
      } catch (e) {
        if (!stopped) onError(cameraError(e));
        return;
      }
      if (stopped) return stream.getTracks().forEach((t) => t.stop());
      const element = video.current;
      if (!element) return;
      element.srcObject = stream;
      await element.play().catch(() => undefined);
      setLive(true);
      void grab();
    })();

    return () => {
      stopped = true;
      clearTimeout(timer);
      stream?.getTracks().forEach((t) => t.stop());
    };
    // Started once per mount; the callbacks are read through the ref.
  }, []);

  return (
    <div class="camera" data-testid="camera">
      <video ref={video} class="camera__video" muted playsInline aria-label="Camera picture" />
      <p class="field__hint" role="status">
        {live ? "Hold the QR code in front of the camera." : "Starting the camera…"}
      </p>
    </div>
  );
}

async function openCamera(): Promise<MediaStream> {
  const media = navigator.mediaDevices;
  if (!media?.getUserMedia) throw new DOMException("no media devices", "NotFoundError");
  if (media.enumerateDevices) {
    const devices = await media.enumerateDevices().catch(() => []);
    // An empty list can also mean "not allowed yet": only a list without cameras is conclusive.
    if (devices.length > 0 && !devices.some((d) => d.kind === "videoinput")) {
      throw new DOMException("no video input", "NotFoundError");
    }
  }
  return media.getUserMedia({ video: { facingMode: "environment" }, audio: false });
}

/** A sentence for a failed camera start. */
export function cameraError(error: unknown): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : "";
  switch (name) {
    case "NotFoundError":
    case "OverconstrainedError":
    case "DevicesNotFoundError":
      return NO_CAMERA;
    case "NotAllowedError":
    case "SecurityError":
      return "The camera was not allowed. Allow camera access for Countersign, or open an image of the QR code instead.";
    case "NotReadableError":
      return "The camera is in use by another program or cannot be started.";
    default:
      return `${NO_CAMERA} (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** RGBA pixels to Rec. 601 luma, one byte per pixel. */
export function toGrey(rgba: Uint8ClampedArray): Uint8Array {
  const grey = new Uint8Array(rgba.length / 4);
  for (let i = 0, j = 0; j < grey.length; i += 4, j++) {
    grey[j] = (299 * rgba[i]! + 587 * rgba[i + 1]! + 114 * rgba[i + 2]!) / 1000;
  }
  return grey;
}
