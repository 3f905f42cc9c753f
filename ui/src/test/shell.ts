// An in-memory stand-in for the Tauri shell, for component tests only (the real shell is driven
// end to end in tests/e2e). It answers the commands api.ts sends, with the same shapes.
import { mockIPC } from "@tauri-apps/api/mocks";
import { type Account, type BackupStatus, type CodeWindow, DEFAULT_SETTINGS, type Settings, type VaultState } from "../api";

export interface FakeShell {
  accounts: Account[];
  calls: Array<{ cmd: string; args: Record<string, unknown> }>;
  vault: VaultState;
  settings: Settings;
  backup: BackupStatus;
  password: string | null;
  /** What the system open dialog answers (a path, or null when cancelled). */
  dialogPath: string | null;
  /** Rejections to return instead of the normal answer, by command. */
  failures: Record<string, { code: string; message: string; field?: string }>;
  codeFor: (id: string) => string;
}

export function fakeShell(accounts: Account[], options: Partial<FakeShell> = {}): FakeShell {
  const shell: FakeShell = {
    accounts: [...accounts],
    calls: [],
    vault: { unlocked: true, hasPassword: false, path: "/tmp/vault" },
    settings: { ...DEFAULT_SETTINGS },
    backup: {
      enabled: false,
      folder: null,
      keep: 10,
      passwordSet: false,
      lastBackupAt: null,
      backups: 0,
      needsBackup: false,
      error: null,
      changes: 0,
    },
    password: null,
    dialogPath: null,
    failures: {},
    codeFor: (id) => String(100000 + (hash(id) % 900000)),
    ...options,
  };
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    shell.calls.push({ cmd, args });
    const failure = shell.failures[cmd];
    if (failure) throw failure;
    switch (cmd) {
      case "vault_state":
        return shell.vault;
      case "settings":
        return shell.settings;
      case "save_settings":
        shell.settings = args.settings as Settings;
        shell.backup = {
          ...shell.backup,
          enabled: shell.settings.autoBackup,
          folder: shell.settings.backupFolder,
          keep: shell.settings.backupKeep,
        };
        return shell.settings;
      case "plugin:dialog|open":
        return shell.dialogPath;
      case "backup_status":
        return shell.backup;
      case "set_backup_password":
        shell.backup = { ...shell.backup, passwordSet: true };
        return shell.backup;
      case "backup_now":
        shell.backup = { ...shell.backup, needsBackup: false, lastBackupAt: Math.floor(Date.now() / 1000), backups: shell.backup.backups + 1 };
        return shell.backup;
      case "unlock":
        if (args.password !== shell.password) throw { code: "wrong_password", message: "wrong password" };
        shell.vault = { ...shell.vault, unlocked: true };
        return shell.vault;
      case "lock":
        shell.vault = { ...shell.vault, unlocked: false };
        return shell.vault;
      case "list_accounts":
        return shell.accounts;
      case "codes": {
        const now = Math.floor(Date.now() / 1000);
        return (args.ids as string[]).map(
          (id): CodeWindow => ({ id, code: shell.codeFor(id), next: "654321", period: 30, validUntil: now - (now % 30) + 30 }),
        );
      }
      case "copy_code":
        return shell.settings.clipboardClearSeconds;
      case "next_hotp":
        return "755224";
      case "remove_account":
        shell.accounts = shell.accounts.filter((a) => a.id !== args.id);
        return null;
      case "update_account": {
        const index = shell.accounts.findIndex((a) => a.id === args.id);
        const updated = { ...shell.accounts[index]!, ...(args.patch as object) };
        shell.accounts[index] = updated;
        return updated;
      }
      case "validate_account":
        return [];
      case "mark_first_code":
      case "reorder":
        return null;
      default:
        throw { code: "internal", message: `the fake shell has no ${cmd}` };
    }
  });
  return shell;
}

function hash(text: string): number {
  let h = 7;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}
