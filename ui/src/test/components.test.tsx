import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import type { Account } from "../api";
import { App } from "../App";
import { AccountRow, type AccountRowProps } from "../components/AccountRow";
import { AddAccountDialog } from "../components/AddAccountDialog";
import { LockScreen } from "../components/LockScreen";
import { RemoveAccountDialog } from "../components/RemoveAccountDialog";
import { account } from "./fixtures";
import { fakeShell } from "./shell";

function rowProps(overrides: Partial<AccountRowProps>): AccountRowProps {
  const noop = () => undefined;
  return {
    account: account({ id: "a", issuer: "GitHub", name: "alice" }),
    index: 0,
    window: undefined,
    hotpCode: undefined,
    nowMs: 1_000_000,
    showNextCode: true,
    active: true,
    top: 0,
    height: 68,
    draggable: false,
    onCopy: noop,
    onNextHotp: noop,
    onEdit: noop,
    onRemove: noop,
    onToggleFavourite: noop,
    onKeyDown: noop,
    onFocusRow: noop,
    onDragStart: noop,
    onDropAt: noop,
    ...overrides,
  };
}

describe("AccountRow", () => {
  it("shows the code grouped for reading and the seconds left", () => {
    const window = { id: "a", code: "287082", next: "359152", period: 30, validUntil: 1020 };
    render(<AccountRow {...rowProps({ window, nowMs: 1_000_000 })} />);
    expect(screen.getByTestId("code").textContent).toBe("287 082");
    expect(screen.getByRole("img").getAttribute("aria-label")).toBe("20 seconds left");
    expect(screen.queryByTestId("next-code")).toBeNull();
  });

  it("shows the next code in the last seconds, unless turned off", () => {
    const window = { id: "a", code: "287082", next: "359152", period: 30, validUntil: 1005 };
    const { rerender } = render(<AccountRow {...rowProps({ window, nowMs: 1_000_000 })} />);
    expect(screen.getByTestId("next-code").textContent).toBe("next 359 152");
    rerender(<AccountRow {...rowProps({ window, nowMs: 1_000_000, showNextCode: false })} />);
    expect(screen.queryByTestId("next-code")).toBeNull();
  });

  it("hides a HOTP code until asked and offers a next-code button", () => {
    const onNextHotp = vi.fn();
    const hotp = account({ id: "h", kind: "hotp", period: null, counter: 0 });
    render(<AccountRow {...rowProps({ account: hotp, onNextHotp })} />);
    expect(screen.getByTestId("code").textContent).toBe("––– –––");
    fireEvent.click(screen.getByRole("button", { name: /Next code/ }));
    expect(onNextHotp).toHaveBeenCalledWith(hotp);
  });

  it("copies on click but not when one of its buttons is pressed", () => {
    const onCopy = vi.fn();
    const onEdit = vi.fn();
    render(<AccountRow {...rowProps({ onCopy, onEdit })} />);
    fireEvent.click(screen.getByRole("listitem"));
    fireEvent.click(screen.getByRole("button", { name: /Edit/ }));
    expect(onCopy).toHaveBeenCalledTimes(1);
    expect(onEdit).toHaveBeenCalledTimes(1);
  });

  it("shows the issuer's initials when there is no icon", () => {
    render(<AccountRow {...rowProps({ account: account({ issuer: "Proton Mail" }) })} />);
    expect(screen.getByText("PM")).toBeTruthy();
  });
});

describe("AddAccountDialog", () => {
  it("shows the shell's URI error beside the field and stays open", async () => {
    const shell = fakeShell([], {
      failures: { add_account_uri: { code: "invalid_input", message: "the URI's scheme must be otpauth", field: "uri" } },
    });
    const onAdded = vi.fn();
    render(<AddAccountDialog groups={[]} onAdded={onAdded} onClose={() => undefined} />);
    fireEvent.input(screen.getByLabelText(/Link/), { target: { value: "https://example.com" } });
    fireEvent.click(screen.getByTestId("add-submit"));
    expect((await screen.findByTestId("uri-error")).textContent).toBe("the URI's scheme must be otpauth");
    expect(screen.getByLabelText(/Link/).getAttribute("aria-invalid")).toBe("true");
    expect(onAdded).not.toHaveBeenCalled();
    expect(shell.calls.filter((c) => c.cmd === "add_account_uri")).toHaveLength(1);
  });

  it("checks the manual form as you type and shows the error beside the field", async () => {
    const shell = fakeShell([]);
    const invalid = { field: "secret", message: "invalid character '1' in the secret" };
    shell.failures = {};
    const { mockIPC } = await import("@tauri-apps/api/mocks");
    mockIPC((cmd, payload) => {
      shell.calls.push({ cmd, args: (payload ?? {}) as Record<string, unknown> });
      return cmd === "validate_account" ? [invalid] : null;
    });
    render(<AddAccountDialog groups={[]} onAdded={() => undefined} onClose={() => undefined} />);
    fireEvent.click(screen.getByRole("tab", { name: "Enter manually" }));
    fireEvent.input(screen.getByLabelText("Secret key"), { target: { value: "JBSW1" } });
    expect((await screen.findByTestId("secret-error")).textContent).toBe(invalid.message);
    const check = shell.calls.find((c) => c.cmd === "validate_account");
    expect((check?.args.account as { secret: string }).secret).toBe("JBSW1");
  });
});

describe("RemoveAccountDialog", () => {
  it("warns that the codes will be gone and removes only on confirmation", async () => {
    const target = account({ id: "r", issuer: "GitHub", name: "alice" });
    const shell = fakeShell([target]);
    const onRemoved = vi.fn();
    const onClose = vi.fn();
    render(<RemoveAccountDialog account={target} onRemoved={onRemoved} onClose={onClose} />);
    expect(screen.getByTestId("remove-warning").textContent).toMatch(/codes for alice at GitHub will be gone/);
    expect(document.activeElement?.textContent).toBe("Keep it");
    fireEvent.click(screen.getByText("Keep it"));
    expect(onClose).toHaveBeenCalled();
    expect(shell.calls.some((c) => c.cmd === "remove_account")).toBe(false);
    fireEvent.click(screen.getByTestId("remove-confirm"));
    await waitFor(() => expect(onRemoved).toHaveBeenCalledWith("r"));
    expect(shell.accounts).toEqual([]);
  });
});

describe("LockScreen", () => {
  it("refuses a wrong password with a message and unlocks with the right one", async () => {
    const shell = fakeShell([], { password: "right one", vault: { unlocked: false, hasPassword: true, path: "v" } });
    const onUnlocked = vi.fn();
    render(<LockScreen onUnlocked={onUnlocked} />);
    const input = screen.getByLabelText("Vault password") as HTMLInputElement;
    fireEvent.input(input, { target: { value: "wrong" } });
    fireEvent.click(screen.getByTestId("unlock"));
    expect((await screen.findByTestId("lock-error")).textContent).toMatch(/not right/);
    expect(input.value).toBe("");
    expect(onUnlocked).not.toHaveBeenCalled();
    fireEvent.input(input, { target: { value: "right one" } });
    fireEvent.click(screen.getByTestId("unlock"));
    await waitFor(() => expect(onUnlocked).toHaveBeenCalled());
    expect(shell.vault.unlocked).toBe(true);
  });
});

describe("App", () => {
  const accounts: Account[] = [
    account({ id: "g", issuer: "GitHub", name: "alice", position: 0, group: "Work" }),
    account({ id: "p", issuer: "Proton", name: "bob", position: 1 }),
  ];

  it("explains how to add the first account when the vault is empty", async () => {
    fakeShell([]);
    render(<App />);
    expect((await screen.findByTestId("empty-state")).textContent).toMatch(/otpauth:\/\//);
  });

  it("shows the lock screen when the vault needs its password", async () => {
    fakeShell(accounts, { vault: { unlocked: false, hasPassword: true, path: "v" } });
    render(<App />);
    expect(await screen.findByTestId("lock-screen")).toBeTruthy();
  });

  it("lists accounts with their codes and filters them as you type", async () => {
    fakeShell(accounts, { codeFor: (id) => (id === "g" ? "111222" : "333444") });
    render(<App />);
    await waitFor(() => expect(screen.getAllByTestId("code").map((c) => c.textContent)).toEqual(["111 222", "333 444"]));
    fireEvent.input(screen.getByTestId("search"), { target: { value: "prot" } });
    await waitFor(() => expect(screen.getAllByRole("listitem")).toHaveLength(1));
    expect(screen.getByRole("listitem").getAttribute("data-account-id")).toBe("p");
  });

  it("fetches the first screen's codes with the list, so its first frame shows them", async () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      account({ id: `a${i}`, issuer: `Issuer ${String(i).padStart(2, "0")}`, name: "n", position: 29 - i, kind: i === 25 ? "hotp" : "totp" }),
    );
    const rowsWhenAsked: number[] = [];
    const shell = fakeShell(many, {
      codeFor: () => {
        rowsWhenAsked.push(document.querySelectorAll("[role=listitem]").length);
        return "123456";
      },
    });
    render(<App />);
    await screen.findAllByRole("listitem");
    const first = shell.calls.find((c) => c.cmd === "codes")?.args.ids as string[];
    // The custom order (position), first screenful only, HOTP accounts left out.
    expect(first).toEqual(Array.from({ length: 20 }, (_, i) => `a${29 - i}`).filter((id) => id !== "a25"));
    expect(rowsWhenAsked[0]).toBe(0);
  });

  it("focuses the search with / and copies the first match with Enter", async () => {
    const shell = fakeShell(accounts);
    render(<App />);
    await screen.findAllByRole("listitem");
    const search = screen.getByTestId("search");
    await waitFor(() => {
      fireEvent.keyDown(window, { key: "/" });
      expect(document.activeElement).toBe(search);
    });
    fireEvent.input(search, { target: { value: "git" } });
    fireEvent.keyDown(search, { key: "Enter" });
    await waitFor(() => expect(shell.calls.find((c) => c.cmd === "copy_code")?.args).toEqual({ id: "g" }));
    expect((await screen.findByTestId("toast")).textContent).toMatch(/clears in 30 s/);
  });

  it("moves between rows with the arrow keys and copies with Enter", async () => {
    const shell = fakeShell(accounts);
    render(<App />);
    const rows = await screen.findAllByRole("listitem");
    rows[0]!.focus();
    fireEvent.keyDown(rows[0]!, { key: "ArrowDown" });
    await waitFor(() => expect(document.activeElement?.getAttribute("data-account-id")).toBe("p"));
    fireEvent.keyDown(document.activeElement!, { key: "Enter" });
    await waitFor(() => expect(shell.calls.find((c) => c.cmd === "copy_code")?.args).toEqual({ id: "p" }));
  });

  it("filters by group with the chips", async () => {
    fakeShell(accounts);
    render(<App />);
    await screen.findAllByRole("listitem");
    fireEvent.click(screen.getByRole("button", { name: "Work" }));
    await waitFor(() => expect(screen.getAllByRole("listitem")).toHaveLength(1));
  });
});
