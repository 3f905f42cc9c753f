import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { EditAccountDialog } from "../components/EditAccountDialog";
import { SettingsPanel } from "../components/SettingsPanel";
import { account } from "./fixtures";
import { fakeShell } from "./shell";

describe("EditAccountDialog", () => {
  it("saves issuer, name, group and favourite as one patch", async () => {
    const target = account({ id: "e", issuer: "GitHub", name: "alice", group: "Work" });
    const shell = fakeShell([target]);
    const onSaved = vi.fn();
    render(<EditAccountDialog account={target} groups={["Work"]} onSaved={onSaved} onClose={() => undefined} />);
    expect(document.activeElement?.id).toBe("edit-issuer");
    fireEvent.input(screen.getByLabelText("Account"), { target: { value: "  alice-work " } });
    fireEvent.input(screen.getByLabelText("Group"), { target: { value: "" } });
    fireEvent.click(screen.getByLabelText("Pin as favourite"));
    fireEvent.click(screen.getByTestId("edit-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(shell.calls.find((c) => c.cmd === "update_account")?.args).toEqual({
      id: "e",
      patch: { issuer: "GitHub", name: "alice-work", group: null, favourite: true, icon: null },
    });
  });

  it("shows the shell's error beside the field it names", async () => {
    const target = account({ id: "e", issuer: "GitHub", name: "alice" });
    fakeShell([target], {
      failures: { update_account: { code: "invalid_input", message: "the account name cannot be empty", field: "name" } },
    });
    const onSaved = vi.fn();
    render(<EditAccountDialog account={target} groups={[]} onSaved={onSaved} onClose={() => undefined} />);
    fireEvent.click(screen.getByTestId("edit-save"));
    expect((await screen.findByTestId("edit-name-error")).textContent).toBe("the account name cannot be empty");
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("closes on Escape without saving", () => {
    const target = account({ id: "e" });
    const shell = fakeShell([target]);
    const onClose = vi.fn();
    render(<EditAccountDialog account={target} groups={[]} onSaved={() => undefined} onClose={onClose} />);
    fireEvent.keyDown(screen.getByRole("dialog"), { key: "Escape" });
    expect(onClose).toHaveBeenCalled();
    expect(shell.calls).toEqual([]);
  });
});

describe("SettingsPanel", () => {
  const vault = { unlocked: true, hasPassword: false, path: "/home/me/.local/share/countersign/vault.csv1" };
  const settings = {
    lockAfterMinutes: 5,
    clipboardClearSeconds: 30,
    showNextCode: true,
    sortOrder: "custom" as const,
    autoBackup: false,
    backupFolder: null,
    backupKeep: 10,
  };

  it("offers the idle lock only once the vault has a password", () => {
    fakeShell([]);
    const { rerender } = render(
      <SettingsPanel settings={settings} vault={vault} onSettings={() => undefined} onVault={() => undefined} onBack={() => undefined} />,
    );
    expect((screen.getByLabelText("Lock after inactivity") as HTMLSelectElement).disabled).toBe(true);
    rerender(
      <SettingsPanel
        settings={settings}
        vault={{ ...vault, hasPassword: true }}
        onSettings={() => undefined}
        onVault={() => undefined}
        onBack={() => undefined}
      />,
    );
    expect((screen.getByLabelText("Lock after inactivity") as HTMLSelectElement).disabled).toBe(false);
    expect(screen.getByLabelText("Current password")).toBeTruthy();
  });

  it("saves a changed clipboard delay", async () => {
    const shell = fakeShell([]);
    const onSettings = vi.fn();
    render(<SettingsPanel settings={settings} vault={vault} onSettings={onSettings} onVault={() => undefined} onBack={() => undefined} />);
    fireEvent.change(screen.getByLabelText("Clear the clipboard after copying"), { target: { value: "60" } });
    await waitFor(() => expect(onSettings).toHaveBeenCalledWith({ ...settings, clipboardClearSeconds: 60 }));
    expect(shell.settings.clipboardClearSeconds).toBe(60);
  });

  it("refuses two different passwords before asking the shell", () => {
    const shell = fakeShell([]);
    render(<SettingsPanel settings={settings} vault={vault} onSettings={() => undefined} onVault={() => undefined} onBack={() => undefined} />);
    fireEvent.input(screen.getByLabelText("Password"), { target: { value: "long enough 1" } });
    fireEvent.input(screen.getByLabelText("Repeat it"), { target: { value: "long enough 2" } });
    fireEvent.click(screen.getByTestId("save-password"));
    expect(screen.getByTestId("repeat-password-error").textContent).toBe("The two passwords differ.");
    expect(shell.calls.some((c) => c.cmd === "set_password")).toBe(false);
  });
});
