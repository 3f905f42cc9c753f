// The one module that talks to the Tauri shell. Components import from here and never call
// `invoke` themselves, so every command name and payload shape lives in one typed place.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";

/** How a code is generated. */
export type OtpKind = "totp" | "hotp" | "steam";
/** The HMAC hash a code uses. */
export type Algorithm = "SHA1" | "SHA256" | "SHA512";
/** How the account list is ordered (favourites are always pinned first). */
export type SortOrder = "custom" | "issuer" | "account" | "lastUsed";

/** An account as the UI sees it: everything but the secret. */
export interface Account {
  id: string;
  issuer: string;
  name: string;
  kind: OtpKind;
  algorithm: Algorithm;
  digits: number;
  /** Seconds per code for TOTP and Steam; null for HOTP. */
  period: number | null;
  /** The next HOTP counter; null for TOTP and Steam. */
  counter: number | null;
  icon: string | null;
  group: string | null;
  favourite: boolean;
  position: number;
  /** Unix seconds. */
  created: number;
  /** Unix seconds of the last copy, or null. */
  lastUsed: number | null;
}

/** The current (and next) code of a time-based account. */
export interface CodeWindow {
  id: string;
  code: string;
  /** The code of the following period, for the preview near expiry. */
  next: string;
  period: number;
  /** Unix seconds when `code` stops being valid. */
  validUntil: number;
}

/** Whether the vault is open, and what opening it needs. */
export interface VaultState {
  unlocked: boolean;
  /** The vault has a password slot, so the app asks for it at start and after idle time. */
  hasPassword: boolean;
  /** Where the vault file lives (shown in settings). */
  path: string;
}

/** The user's preferences (stored by the shell, not in the vault). */
export interface Settings {
  /** Minutes of inactivity before the app locks; 0 = never. Only applies with a password. */
  lockAfterMinutes: number;
  /** Seconds after a copy when the clipboard is cleared if it still holds the code; 0 = never. */
  clipboardClearSeconds: number;
  /** Show the next code beside the current one in its last seconds. */
  showNextCode: boolean;
  sortOrder: SortOrder;
  /** Write an encrypted backup to `backupFolder` after the accounts change. */
  autoBackup: boolean;
  /** Where backups go (a full path), chosen in the folder dialog. */
  backupFolder: string | null;
  /** How many backups the folder keeps (1–100). */
  backupKeep: number;
}

/** The settings before the shell's are read (the shell's defaults). */
export const DEFAULT_SETTINGS: Settings = {
  lockAfterMinutes: 5,
  clipboardClearSeconds: 30,
  showNextCode: true,
  sortOrder: "custom",
  autoBackup: false,
  backupFolder: null,
  backupKeep: 10,
};

/** Automatic backups: where they go, how the last one went, and whether the accounts changed since. */
export interface BackupStatus {
  enabled: boolean;
  folder: string | null;
  keep: number;
  /** A backup password is stored in the system keyring. */
  passwordSet: boolean;
  /** Unix seconds of the newest backup in the folder. */
  lastBackupAt: number | null;
  /** How many backups the folder holds. */
  backups: number;
  /** The accounts changed since the newest backup (or there is none). */
  needsBackup: boolean;
  /** Why the last automatic backup failed (while they are on). */
  error: CommandError | null;
  /** Account changes seen this session: a dismissed reminder comes back after the next one. */
  changes: number;
}

/** The manual "add account" form. */
export interface NewAccount {
  issuer: string;
  name: string;
  secret: string;
  kind: OtpKind;
  algorithm: Algorithm;
  digits: number;
  period: number;
  counter: number;
  group: string | null;
}

/** An edit; absent fields stay as they are. `null` clears group or icon. */
export interface AccountPatch {
  issuer?: string;
  name?: string;
  group?: string | null;
  favourite?: boolean;
  icon?: string | null;
}

/** A problem with one field of a form, as the core's parser reported it. */
export interface FieldError {
  field: string;
  message: string;
}

/** What a failed command rejects with: a stable `code` to switch on, a message for people. */
export interface CommandError {
  code: string;
  message: string;
  /** For `invalid_input`: the form field the message is about. */
  field?: string;
}

/** What the confirm screen shows before this device is activated for push sign-in. */
export interface ActivationSummary {
  server: string;
  user: string;
  issuer: string;
  /** The server's challenge-signing key fingerprint, colon hex: compare it with what the administrator shows. */
  keyFingerprint: string;
  /** The pinned certificate fingerprint of a self-signed server. */
  tlsFingerprint: string | null;
  /** Unix seconds after which the activation code is refused. */
  expires: number;
}

/** A push account's connection. */
export type PushState =
  | { state: "connecting" }
  | { state: "connected"; sinceMs: number }
  | { state: "reconnecting"; attempt: number; retryAtMs: number; code: string; message: string }
  | { state: "not_activated"; message: string }
  | { state: "damaged"; message: string }
  | { state: "stopped" };

/** A push account (an activation of this device with a server). */
export interface PushAccount {
  deviceId: string;
  label: string;
  server: string;
  user: string;
  issuer: string;
  position: number;
  state: PushState;
  /** Server clock minus local clock, once measured. */
  clockOffsetMs: number | null;
  /** The local clock is off enough that TOTP codes may be refused. */
  clockWarning: boolean;
}

/** A sign-in request waiting for an answer. */
export interface PushChallenge {
  id: string;
  deviceId: string;
  accountLabel: string;
  app: string;
  user: string;
  issuer: string;
  clientIp: string | null;
  location: string | null;
  /** Unix seconds (server clock). */
  created: number;
  /** Number matching: the sign-in page shows one of these. Empty: approve or deny only. */
  options: number[];
  /** Local Unix ms when it can no longer be answered (corrected for the server's clock). */
  expiresAtMs: number;
  receivedMs: number;
}

/** How a request ended. */
export type PushOutcome = "approved" | "denied" | "fraud" | "expired" | "replaced" | "answered" | "pending";

/** An answered or expired request. */
export interface PushHistoryEntry {
  challenge: PushChallenge;
  outcome: PushOutcome;
  atMs: number;
}

/** Everything the push part of the window shows. */
export interface PushSnapshot {
  accounts: PushAccount[];
  pending: PushChallenge[];
  history: PushHistoryEntry[];
}

/** What the user answers. */
export type PushDecision = "approve" | "deny" | "report_fraud";

/** How a removal ended. */
export interface PushRemoval {
  label: string;
  /** The server could not be told yet; the app retries later. */
  deferred: boolean;
  message: string | null;
}

/** Whether an unknown rejection value has the `{code, message}` shape. */
export function isCommandError(value: unknown): value is CommandError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { code?: unknown }).code === "string" &&
    typeof (value as { message?: unknown }).message === "string"
  );
}

/** Turns any rejection into a `CommandError` so callers handle one shape. */
export function toCommandError(value: unknown): CommandError {
  if (isCommandError(value)) return value;
  if (value instanceof Error) return { code: "internal", message: value.message };
  return { code: "internal", message: String(value) };
}

/** What one QR code held: `invalid` looked like an account or activation but does not parse. */
export type FoundKind = "account" | "transfer" | "activation" | "other" | "invalid";

/** One QR code read by a scan, described for people (never with its secret). */
export interface FoundCode {
  kind: FoundKind;
  message: string;
  /** For `activation`: the countersign://activate URI to hand to the push activation. */
  activationUri?: string;
}

/** An account a scan found, before it is added. */
export interface ScannedAccount extends Account {
  /** The vault already has an account with the same secret, issuer and name. */
  duplicate: boolean;
}

/** What a scan found; `ready` holds the accounts to confirm, added with `addScanned(token)`. */
export interface ScanOutcome {
  codes: FoundCode[];
  ready: { token: string; accounts: ScannedAccount[] } | null;
}

/** What adding scanned or imported accounts did. */
export interface AddedAccounts {
  added: Account[];
  skippedDuplicates: number;
}

/** One page of a Google Authenticator transfer export ("1 of N"). */
export interface TransferPage {
  number: number;
  total: number;
  accounts: number;
  svg: string;
}

/** One importable entry of a file. */
export interface ImportEntry {
  index: number;
  source: string;
  issuer: string;
  name: string;
  kind: OtpKind;
  digits: number;
  group: string | null;
  duplicate: boolean;
}

/** What an import file would add (nothing is stored until `importApply`). */
export interface ImportPreview {
  token: string;
  format: string;
  entries: ImportEntry[];
  errors: Array<{ source: string; reason: string }>;
  duplicates: number;
}

/** The file exports: an encrypted Countersign backup, an encrypted Aegis vault, or plaintext URIs. */
export type ExportFormat = "countersign" | "aegis" | "otpauth";

/** Whether the app runs on a phone (where the platform's barcode scanner replaces the webview camera). */
export const isMobile = () => /Android|iPhone|iPad/i.test(navigator.userAgent);

/** Image files the scanner reads. */
export const IMAGE_EXTENSIONS = ["png", "jpg", "jpeg", "gif", "bmp", "webp"];

/** The page's start-up steps in ms after `performance.timeOrigin`: navigation, paints, marks. */
export function startupTiming(): { timeOrigin: number; marks: [string, number][] } {
  const marks: [string, number][] = [];
  const navigation = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  if (navigation) {
    for (const step of ["fetchStart", "responseEnd", "domInteractive", "domContentLoadedEventEnd", "loadEventEnd"] as const) {
      marks.push([step, navigation[step]]);
    }
  }
  for (const entry of [...performance.getEntriesByType("paint"), ...performance.getEntriesByType("mark")]) {
    marks.push([entry.name, entry.startTime]);
  }
  return { timeOrigin: performance.timeOrigin, marks };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toCommandError(e);
  }
}

async function callRaw<T>(cmd: string, bytes: Uint8Array, headers: Record<string, string> = {}): Promise<T> {
  try {
    return await invoke<T>(cmd, bytes, { headers });
  } catch (e) {
    throw toCommandError(e);
  }
}

/** A path the user chose in the system's open dialog, or null when cancelled. */
async function pickFile(title: string, filters: Array<{ name: string; extensions: string[] }>): Promise<string | null> {
  const chosen = await openDialog({ title, multiple: false, directory: false, filters });
  return typeof chosen === "string" ? chosen : null;
}

export const api = {
  vaultState: () => call<VaultState>("vault_state"),
  unlock: (password: string) => call<VaultState>("unlock", { password }),
  lock: () => call<VaultState>("lock"),
  setPassword: (current: string | null, password: string | null) =>
    call<VaultState>("set_password", { current, password }),

  listAccounts: () => call<Account[]>("list_accounts"),
  codes: (ids: string[]) => call<CodeWindow[]>("codes", { ids }),
  addAccountUri: (uri: string) => call<Account>("add_account_uri", { uri }),
  validateAccount: (account: NewAccount) => call<FieldError[]>("validate_account", { account }),
  addAccount: (account: NewAccount) => call<Account>("add_account", { account }),
  updateAccount: (id: string, patch: AccountPatch) => call<Account>("update_account", { id, patch }),
  removeAccount: (id: string) => call<void>("remove_account", { id }),
  reorder: (ids: string[]) => call<void>("reorder", { ids }),
  nextHotp: (id: string) => call<string>("next_hotp", { id }),
  /** Copies the account's current code (HOTP: the last one shown); resolves to the seconds until it is cleared. */
  copyCode: (id: string) => call<number>("copy_code", { id }),

  settings: () => call<Settings>("settings"),
  saveSettings: (settings: Settings) => call<Settings>("save_settings", { settings }),

  backupStatus: () => call<BackupStatus>("backup_status"),
  /** Stores the backup password in the system keyring (never in the settings file). */
  setBackupPassword: (password: string) => call<BackupStatus>("set_backup_password", { password }),
  /** Writes a backup into the chosen folder now. */
  backupNow: () => call<BackupStatus>("backup_now"),
  /** The system folder dialog for the backup folder; resolves to the path or null. */
  pickBackupFolder: async (current: string | null) => {
    const chosen = await openDialog({ title: "Choose the backup folder", directory: true, multiple: false, defaultPath: current ?? undefined });
    return typeof chosen === "string" ? chosen : null;
  },
  /** Calls `handler` with each status the shell sends after an automatic backup run. */
  onBackupStatus: (handler: (status: BackupStatus) => void) =>
    listen<BackupStatus>("backup:status", (event) => handler(event.payload)),

  /** Reads the QR codes in an image file (from the open dialog or a drop). */
  scanFile: (path: string) => call<ScanOutcome>("scan_file", { path }),
  /** Reads the QR codes in an image's bytes (a pasted image). */
  scanImage: (bytes: Uint8Array) => callRaw<ScanOutcome>("scan_image", bytes),
  /** Reads the QR codes in a grey camera frame (`width × height` bytes). */
  scanFrame: (luma: Uint8Array, width: number, height: number) =>
    callRaw<ScanOutcome>("scan_frame", luma, { "x-frame-width": String(width), "x-frame-height": String(height) }),
  /** Captures every monitor and reads the QR codes on them (nothing is written to disk). */
  scanScreen: () => call<ScanOutcome>("scan_screen"),
  /** Classifies a text another scanner read (the phone's barcode scanner). */
  scanText: (text: string) => call<ScanOutcome>("scan_text", { text }),
  /** On phones: the platform's barcode scanner (tauri-plugin-barcode-scanner), its text classified. */
  scanWithPhoneCamera: async () => {
    const scanned = await call<{ content: string }>("plugin:barcode-scanner|scan", { formats: ["QR_CODE"], windowed: false });
    return call<ScanOutcome>("scan_text", { text: scanned.content });
  },
  /** Adds the accounts a scan found, in one save. */
  addScanned: (token: string, keepDuplicates: boolean) => call<AddedAccounts>("add_scanned", { token, keepDuplicates }),
  /** One account as an otpauth:// QR code (SVG); reveals the secret. */
  accountQr: (id: string) => call<string>("account_qr", { id }),
  /** Accounts as Google Authenticator transfer QR codes (SVG pages); reveals the secrets. */
  transferQr: (ids: string[]) => call<TransferPage[]>("transfer_qr", { ids }),
  importFormats: () => call<string[]>("import_formats"),
  /** Reads an import file and lists what it would add; nothing is stored. */
  importPreview: (path: string, options: { format?: string; password?: string; key?: string } = {}) =>
    call<ImportPreview>("import_preview", {
      path,
      format: options.format ?? null,
      password: options.password ?? null,
      key: options.key ?? null,
    }),
  /** Adds the previewed entries (all, or `only` these indexes) in one save. */
  importApply: (token: string, keepDuplicates: boolean, only: number[] | null = null) =>
    call<AddedAccounts>("import_apply", { token, keepDuplicates, only }),
  /** Writes every account to `path`; resolves to how many were written. */
  exportFile: (path: string, format: ExportFormat, password: string | null) =>
    call<number>("export_file", { path, format, password }),

  /** The system open dialog for an image to scan. */
  pickImage: () => pickFile("Choose an image with a QR code", [{ name: "Images", extensions: IMAGE_EXTENSIONS }]),
  /** The system open dialog for a file to import. */
  pickImportFile: () => pickFile("Choose a file to import", []),
  /** The system save dialog; resolves to the chosen path or null. */
  pickSavePath: async (defaultPath: string, extensions: string[]) =>
    (await saveDialog({ title: "Save the export", defaultPath, filters: [{ name: "Export", extensions }] })) ?? null,
  /** Calls `onPaths` with the files dropped on the window; resolves to the unsubscribe function. */
  onFilesDropped: async (onPaths: (paths: string[]) => void) =>
    getCurrentWebview().onDragDropEvent((event) => {
      if (event.payload.type === "drop") onPaths(event.payload.paths);
    }),

  /** Tells the shell the first code is on screen, with the page's start-up steps (for the start-up benchmark). */
  markFirstCode: () => call<void>("mark_first_code", { timing: startupTiming() }),

  /** Reads a countersign://activate link for the confirm screen (nothing is sent or stored). */
  pushParseActivation: (uri: string) => call<ActivationSummary>("push_parse_activation", { uri }),
  /** Activates this device; with `replace` (a device id) the new account takes that one's name and place. */
  pushActivate: (uri: string, replace: string | null = null) => call<PushAccount>("push_activate", { uri, replace }),
  /** The push accounts, pending requests and history; starts listening the first time. */
  pushAccounts: () => call<PushSnapshot>("push_accounts"),
  pushAnswer: (id: string, decision: PushDecision, number: number | null) =>
    call<PushHistoryEntry>("push_answer", { id, decision, number }),
  pushRemove: (deviceId: string) => call<PushRemoval>("push_remove", { deviceId }),

  /** Calls `handler` with every new snapshot the shell sends; resolves to the unsubscribe function. */
  onPushSnapshot: (handler: (snapshot: PushSnapshot) => void) =>
    listen<PushSnapshot>("push:snapshot", (event) => handler(event.payload)),
  /** Calls `handler` when a new sign-in request arrives. */
  onPushChallenge: (handler: (challenge: PushChallenge) => void) =>
    listen<PushChallenge>("push:challenge", (event) => handler(event.payload)),
};

export type Api = typeof api;
