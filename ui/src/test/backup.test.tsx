import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { type BackupStatus, DEFAULT_SETTINGS, type Settings } from "../api";
import { reminderFor, useBackupStatus } from "../backup";
import { BackupReminder } from "../components/BackupReminder";
import { SettingsPanel } from "../components/SettingsPanel";
import { account } from "./fixtures";
import { fakeShell } from "./shell";

function status(overrides: Partial<BackupStatus> = {}): BackupStatus {
  return {
    enabled: false,
    folder: null,
    keep: 10,
    passwordSet: false,
    lastBackupAt: null,
    backups: 0,
    needsBackup: true,
    error: null,
    changes: 1,
    ...overrides,
  };
}

const settings: Settings = DEFAULT_SETTINGS;
const vault = { unlocked: true, hasPassword: false, path: "/home/me/vault.csv1" };

function renderSettings(onSettings: (s: Settings) => void = () => undefined, current: Settings = settings) {
  return render(
    <SettingsPanel settings={current} vault={vault} onSettings={onSettings} onVault={() => undefined} onBack={() => undefined} />,
  );
}

describe("the backup reminder's rule", () => {
  it("shows when backups are off and the accounts changed, and not when nothing changed", () => {
    expect(reminderFor(status(), null)?.kind).toBe("never");
    expect(reminderFor(status({ lastBackupAt: 1_700_000_000 }), null)?.kind).toBe("changed");
    expect(reminderFor(status({ needsBackup: false }), null)).toBeNull();
    expect(reminderFor(null, null)).toBeNull();
  });

  it("stays quiet while automatic backups are on and working, and speaks when they fail", () => {
    expect(reminderFor(status({ enabled: true }), null)).toBeNull();
    const failing = reminderFor(status({ enabled: true, error: { code: "backup_failed", message: "could not write a backup in /mnt/usb" } }), null);
    expect(failing?.kind).toBe("failing");
    expect(failing?.text).toContain("/mnt/usb");
  });

  it("stays dismissed until the accounts change again", () => {
    expect(reminderFor(status({ changes: 3 }), 3)).toBeNull();
    expect(reminderFor(status({ changes: 4 }), 3)?.kind).toBe("never");
  });
});

describe("BackupReminder", () => {
  it("offers Back up now once a folder and password are set, Settings, and dismiss", () => {
    const onBackUpNow = vi.fn();
    const onSettings = vi.fn();
    const onDismiss = vi.fn();
    const { rerender } = render(
      <BackupReminder status={status({ changes: 2 })} dismissedAt={null} onBackUpNow={onBackUpNow} onSettings={onSettings} onDismiss={onDismiss} />,
    );
    expect(screen.getByTestId("backup-reminder").textContent).toMatch(/not backed up yet/);
    expect(screen.queryByTestId("reminder-backup-now")).toBeNull();
    fireEvent.click(screen.getByTestId("reminder-settings"));
    expect(onSettings).toHaveBeenCalled();
    fireEvent.click(screen.getByLabelText("Dismiss the backup reminder"));
    expect(onDismiss).toHaveBeenCalledWith(2);

    rerender(
      <BackupReminder
        status={status({ folder: "/backups", passwordSet: true, lastBackupAt: 1_700_000_000 })}
        dismissedAt={null}
        onBackUpNow={onBackUpNow}
        onSettings={onSettings}
        onDismiss={onDismiss}
      />,
    );
    expect(screen.getByTestId("backup-reminder").textContent).toMatch(/changed since the last backup/);
    fireEvent.click(screen.getByTestId("reminder-backup-now"));
    expect(onBackUpNow).toHaveBeenCalled();
  });

  it("is an alert naming the problem when the automatic backup fails", () => {
    render(
      <BackupReminder
        status={status({ enabled: true, error: { code: "backup_password_missing", message: "no backup password is stored in the system keyring" } })}
        dismissedAt={null}
        onBackUpNow={() => undefined}
        onSettings={() => undefined}
        onDismiss={() => undefined}
      />,
    );
    const banner = screen.getByRole("alert");
    expect(banner.textContent).toContain("no backup password is stored in the system keyring");
  });

  it("appears when the shell sends a status after a change", async () => {
    mockIPC(
      (cmd) => {
        if (cmd === "backup_status") return status({ needsBackup: false, changes: 0 });
        throw { code: "internal", message: `no ${cmd} here` };
      },
      { shouldMockEvents: true },
    );
    function Shown() {
      const [current] = useBackupStatus(true);
      return <BackupReminder status={current} dismissedAt={null} onBackUpNow={() => undefined} onSettings={() => undefined} onDismiss={() => undefined} />;
    }
    render(<Shown />);
    await waitFor(() => expect(screen.queryByTestId("backup-reminder")).toBeNull());
    // The listener is registered asynchronously; send until it is heard.
    await waitFor(async () => {
      await emit("backup:status", status({ changes: 1 }));
      expect(screen.getByTestId("backup-reminder")).toBeTruthy();
    });
  });
});

describe("App with the backup reminder", () => {
  it("shows the reminder above the accounts, opens settings from it, and backs up from it", async () => {
    const shell = fakeShell([account({ id: "g", issuer: "GitHub" })], {
      backup: status({ folder: "/backups", passwordSet: true, lastBackupAt: 1_700_000_000 }),
    });
    render(<App />);
    await screen.findByTestId("backup-reminder");
    fireEvent.click(screen.getByTestId("reminder-backup-now"));
    await waitFor(() => expect(shell.calls.some((c) => c.cmd === "backup_now")).toBe(true));
    await waitFor(() => expect(screen.queryByTestId("backup-reminder")).toBeNull());
    expect((await screen.findByTestId("toast")).textContent).toMatch(/Backed up to \/backups/);
  });

  it("hides a dismissed reminder", async () => {
    fakeShell([account({ id: "g" })], { backup: status() });
    render(<App />);
    fireEvent.click(await screen.findByLabelText("Dismiss the backup reminder"));
    await waitFor(() => expect(screen.queryByTestId("backup-reminder")).toBeNull());
  });

  it("opens the settings from the reminder", async () => {
    fakeShell([account({ id: "g" })], { backup: status() });
    render(<App />);
    fireEvent.click(await screen.findByTestId("reminder-settings"));
    expect(await screen.findByTestId("backup-settings")).toBeTruthy();
  });
});

describe("the backup settings", () => {
  it("asks for the backup password twice and refuses short ones before asking the shell", async () => {
    const shell = fakeShell([]);
    renderSettings();
    fireEvent.input(screen.getByLabelText("Backup password"), { target: { value: "short" } });
    fireEvent.input(screen.getByLabelText("Repeat the backup password"), { target: { value: "short" } });
    fireEvent.click(screen.getByTestId("save-backup-password"));
    expect(screen.getByTestId("backup-password-error").textContent).toBe("Use at least 8 characters.");
    fireEvent.input(screen.getByLabelText("Backup password"), { target: { value: "long enough 1" } });
    fireEvent.input(screen.getByLabelText("Repeat the backup password"), { target: { value: "long enough 2" } });
    fireEvent.click(screen.getByTestId("save-backup-password"));
    expect(screen.getByTestId("backup-repeat-error").textContent).toBe("The two passwords differ.");
    expect(shell.calls.some((c) => c.cmd === "set_backup_password")).toBe(false);

    fireEvent.input(screen.getByLabelText("Repeat the backup password"), { target: { value: "long enough 1" } });
    fireEvent.click(screen.getByTestId("save-backup-password"));
    await waitFor(() => expect(shell.calls.find((c) => c.cmd === "set_backup_password")?.args).toEqual({ password: "long enough 1" }));
    expect((await screen.findByTestId("backup-done")).textContent).toMatch(/system keyring/);
    expect(screen.getByTestId("save-backup-password").textContent).toBe("Change backup password");
    expect(shell.calls.some((c) => c.cmd === "save_settings" && JSON.stringify(c.args).includes("long enough"))).toBe(false);
  });

  it("chooses the folder in the folder dialog and saves it", async () => {
    const shell = fakeShell([], { dialogPath: "/media/usb/countersign" });
    const onSettings = vi.fn();
    renderSettings(onSettings);
    fireEvent.click(screen.getByText("Choose folder…"));
    await waitFor(() => expect(onSettings).toHaveBeenCalledWith({ ...settings, backupFolder: "/media/usb/countersign" }));
    const dialog = shell.calls.find((c) => c.cmd === "plugin:dialog|open");
    expect((dialog?.args.options as { directory?: boolean }).directory).toBe(true);
  });

  it("shows the shell's refusal beside the field it names when turning backups on", async () => {
    fakeShell([], {
      failures: { save_settings: { code: "invalid_input", message: "set a backup password first", field: "backupPassword" } },
    });
    const onSettings = vi.fn();
    renderSettings(onSettings, { ...settings, backupFolder: "/backups" });
    const box = screen.getByLabelText("Back up automatically when accounts change") as HTMLInputElement;
    fireEvent.click(box);
    expect((await screen.findByTestId("backup-password-error")).textContent).toBe("set a backup password first");
    expect(onSettings).not.toHaveBeenCalled();
    await waitFor(() => expect((screen.getByLabelText("Back up automatically when accounts change") as HTMLInputElement).checked).toBe(false));
  });

  it("checks how many backups to keep before saving", async () => {
    const shell = fakeShell([]);
    const onSettings = vi.fn();
    renderSettings(onSettings);
    const keep = screen.getByLabelText("Backups to keep");
    fireEvent.input(keep, { target: { value: "0" } });
    fireEvent.change(keep);
    expect(screen.getByTestId("backup-keep-error").textContent).toBe("Keep between 1 and 100 backups.");
    fireEvent.input(keep, { target: { value: "101" } });
    fireEvent.change(keep);
    expect(shell.calls.some((c) => c.cmd === "save_settings")).toBe(false);
    fireEvent.input(keep, { target: { value: "25" } });
    fireEvent.change(keep);
    await waitFor(() => expect(onSettings).toHaveBeenCalledWith({ ...settings, backupKeep: 25 }));
  });

  it("shows the last backup, a failure, and backs up now", async () => {
    const shell = fakeShell([], {
      backup: status({
        enabled: true,
        folder: "/backups",
        passwordSet: true,
        lastBackupAt: 1_700_000_000,
        backups: 3,
        error: { code: "backup_failed", message: "could not write a backup in /backups: disk full" },
      }),
    });
    renderSettings(() => undefined, { ...settings, autoBackup: true, backupFolder: "/backups" });
    expect((await screen.findByTestId("backup-error")).textContent).toContain("disk full");
    expect(screen.getByTestId("backup-last").textContent).toMatch(/3 backups in the folder/);
    expect(screen.getByTestId("backup-folder-path").textContent).toBe("/backups");
    fireEvent.click(screen.getByTestId("backup-now"));
    await waitFor(() => expect(shell.calls.some((c) => c.cmd === "backup_now")).toBe(true));
    expect((await screen.findByTestId("backup-done")).textContent).toBe("Backed up to /backups.");
    expect(screen.getByTestId("backup-last").textContent).toMatch(/4 backups in the folder/);
  });
});
