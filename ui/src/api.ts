// The one module that talks to the Tauri shell. Components import from here and never call
// `invoke` themselves, so every command name and payload shape lives in one typed place.
import { invoke } from "@tauri-apps/api/core";

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

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw toCommandError(e);
  }
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

  /** Tells the shell the first code is on screen (for the start-up benchmark). */
  markFirstCode: () => call<void>("mark_first_code"),
};

export type Api = typeof api;
