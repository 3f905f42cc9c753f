import { emit } from "@tauri-apps/api/event";
import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import { api, type PushAccount, type PushChallenge, type PushSnapshot } from "../api";
import { AddAccountDialog } from "../components/AddAccountDialog";
import { PushAccountRow, PushSection } from "../components/PushAccounts";
import { PushActivateDialog } from "../components/PushActivateDialog";
import { PushApprovalSheet } from "../components/PushApprovalSheet";
import { formatCountdown, isActivationUri, secondsLeft, stateBadge, usePush } from "../push";

const NOW = 1_700_000_000_000;

function challenge(overrides: Partial<PushChallenge> = {}): PushChallenge {
  return {
    id: "ch1",
    deviceId: "dev1",
    accountLabel: "Test MFA: alice",
    app: "Intranet",
    user: "alice",
    issuer: "Test MFA",
    clientIp: "198.51.100.7",
    location: "Lisbon, PT",
    created: NOW / 1000 - 5,
    options: [12, 34, 56],
    expiresAtMs: NOW + 42_000,
    receivedMs: NOW - 5000,
    ...overrides,
  };
}

function pushAccount(overrides: Partial<PushAccount> = {}): PushAccount {
  return {
    deviceId: "dev1",
    label: "Test MFA: alice",
    server: "https://127.0.0.1:8443/",
    user: "alice",
    issuer: "Test MFA",
    position: 0,
    state: { state: "connected", sinceMs: NOW - 1000 },
    clockOffsetMs: 0,
    clockWarning: false,
    ...overrides,
  };
}

/** A shell answering the push commands; records every call. */
function pushShell(snapshot: PushSnapshot, answers: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  const calls: Array<{ cmd: string; args: Record<string, unknown> }> = [];
  mockIPC(
    (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const answer = answers[cmd];
      if (answer) return answer(args);
      if (cmd === "push_accounts") return snapshot;
      throw { code: "internal", message: `no ${cmd} here` };
    },
    { shouldMockEvents: true },
  );
  return calls;
}

describe("push wording", () => {
  it("counts down in whole seconds, never below zero", () => {
    expect(secondsLeft(NOW + 41_001, NOW)).toBe(42);
    expect(secondsLeft(NOW - 5, NOW)).toBe(0);
    expect(formatCountdown(42)).toBe("0:42");
    expect(formatCountdown(125)).toBe("2:05");
  });

  it("recognises an activation link whatever its case and surrounding space", () => {
    expect(isActivationUri("  COUNTERSIGN://activate?v=1&server=x")).toBe(true);
    expect(isActivationUri("otpauth://totp/x?secret=JBSWY3DP")).toBe(false);
  });

  it("names each connection state, with the next retry while reconnecting", () => {
    expect(stateBadge({ state: "connected", sinceMs: 0 }, NOW)).toEqual({ text: "Connected", tone: "ok" });
    const retry = stateBadge({ state: "reconnecting", attempt: 2, retryAtMs: NOW + 11_200, code: "network", message: "cannot reach" }, NOW);
    expect(retry.text).toBe("Reconnecting in 12 s");
    expect(retry.detail).toBe("cannot reach");
    expect(stateBadge({ state: "not_activated", message: "gone" }, NOW)).toEqual({ text: "Not activated", tone: "error", detail: "gone" });
  });
});

describe("PushApprovalSheet", () => {
  it("shows what wants in, from where, and the time left", () => {
    render(<PushApprovalSheet challenge={challenge()} nowMs={NOW} onAnswer={vi.fn()} onClose={vi.fn()} />);
    expect(screen.getByTestId("sheet-app").textContent).toBe("Intranet");
    expect(screen.getByTestId("sheet-user").textContent).toBe("alice at Test MFA");
    expect(screen.getByTestId("sheet-ip").textContent).toBe("198.51.100.7");
    expect(screen.getByTestId("sheet-location").textContent).toBe("Lisbon, PT");
    expect(screen.getByTestId("sheet-countdown").textContent).toBe("0:42");
  });

  it("counts down as time passes and turns urgent in the last ten seconds", () => {
    const c = challenge();
    const { rerender } = render(<PushApprovalSheet challenge={c} nowMs={NOW} onAnswer={vi.fn()} onClose={vi.fn()} />);
    rerender(<PushApprovalSheet challenge={c} nowMs={NOW + 35_000} onAnswer={vi.fn()} onClose={vi.fn()} />);
    const countdown = screen.getByTestId("sheet-countdown");
    expect(countdown.textContent).toBe("0:07");
    expect(countdown.classList.contains("sheet__countdown--urgent")).toBe(true);
  });

  it("refuses every answer once expired", () => {
    render(<PushApprovalSheet challenge={challenge()} nowMs={NOW + 43_000} onAnswer={vi.fn()} onClose={vi.fn()} />);
    expect(screen.getByTestId("sheet-countdown").textContent).toBe("expired");
    for (const id of ["sheet-approve", "sheet-deny", "sheet-fraud", "number-34"]) {
      expect((screen.getByTestId(id) as HTMLButtonElement).disabled).toBe(true);
    }
  });

  it("approves only after a number is picked, with that number", async () => {
    const onAnswer = vi.fn().mockResolvedValue(undefined);
    render(<PushApprovalSheet challenge={challenge()} nowMs={NOW} onAnswer={onAnswer} onClose={vi.fn()} />);
    const approve = screen.getByTestId("sheet-approve") as HTMLButtonElement;
    expect(approve.disabled).toBe(true);
    fireEvent.click(screen.getByTestId("number-34"));
    expect(screen.getByTestId("number-34").getAttribute("aria-pressed")).toBe("true");
    expect(approve.disabled).toBe(false);
    fireEvent.click(approve);
    await waitFor(() => expect(onAnswer).toHaveBeenCalledWith("approve", 34));
  });

  it("takes a typed number over a picked one, and Enter approves", async () => {
    const onAnswer = vi.fn().mockResolvedValue(undefined);
    render(<PushApprovalSheet challenge={challenge()} nowMs={NOW} onAnswer={onAnswer} onClose={vi.fn()} />);
    fireEvent.click(screen.getByTestId("number-12"));
    const input = screen.getByLabelText("or type it") as HTMLInputElement;
    fireEvent.input(input, { target: { value: "5x6" } });
    expect(input.value).toBe("56");
    expect(screen.getByTestId("number-12").getAttribute("aria-pressed")).toBe("false");
    fireEvent.keyDown(input, { key: "Enter" });
    await waitFor(() => expect(onAnswer).toHaveBeenCalledWith("approve", 56));
  });

  it("approves a plain request without a number, and focuses Deny first", async () => {
    const onAnswer = vi.fn().mockResolvedValue(undefined);
    render(<PushApprovalSheet challenge={challenge({ options: [] })} nowMs={NOW} onAnswer={onAnswer} onClose={vi.fn()} />);
    expect(screen.queryByTestId("number-12")).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId("sheet-deny"));
    fireEvent.click(screen.getByTestId("sheet-approve"));
    await waitFor(() => expect(onAnswer).toHaveBeenCalledWith("approve", null));
  });

  it("denies without a number", async () => {
    const onAnswer = vi.fn().mockResolvedValue(undefined);
    render(<PushApprovalSheet challenge={challenge()} nowMs={NOW} onAnswer={onAnswer} onClose={vi.fn()} />);
    fireEvent.click(screen.getByTestId("number-12"));
    fireEvent.click(screen.getByTestId("sheet-deny"));
    await waitFor(() => expect(onAnswer).toHaveBeenCalledWith("deny", null));
  });

  it("asks before reporting fraud, then reports", async () => {
    const onAnswer = vi.fn().mockResolvedValue(undefined);
    render(<PushApprovalSheet challenge={challenge()} nowMs={NOW} onAnswer={onAnswer} onClose={vi.fn()} />);
    fireEvent.click(screen.getByTestId("sheet-fraud"));
    expect(screen.getByTestId("fraud-confirm").textContent).toContain("blocks further sign-in requests");
    expect(onAnswer).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("fraud-send"));
    await waitFor(() => expect(onAnswer).toHaveBeenCalledWith("report_fraud", null));
  });

  it("shows the shell's error and lets the user try again", async () => {
    const onAnswer = vi.fn().mockRejectedValue({ code: "network", message: "cannot reach the push server" });
    render(<PushApprovalSheet challenge={challenge()} nowMs={NOW} onAnswer={onAnswer} onClose={vi.fn()} />);
    fireEvent.click(screen.getByTestId("sheet-deny"));
    expect((await screen.findByTestId("sheet-error")).textContent).toBe("cannot reach the push server");
    expect((screen.getByTestId("sheet-deny") as HTMLButtonElement).disabled).toBe(false);
  });
});

describe("PushSection", () => {
  it("answers through push_answer with the request id, decision and number", async () => {
    const snapshot: PushSnapshot = { accounts: [pushAccount()], pending: [challenge({ expiresAtMs: Date.now() + 60_000 })], history: [] };
    const calls = pushShell(snapshot, {
      push_answer: () => ({ challenge: snapshot.pending[0], outcome: "approved", atMs: Date.now() }),
    });
    const notify = vi.fn();
    function Harness() {
      const push = usePush(true);
      return <PushSection push={push} nowMs={Date.now()} onNotify={notify} />;
    }
    render(<Harness />);
    fireEvent.click(await screen.findByTestId("number-56"));
    fireEvent.click(screen.getByTestId("sheet-approve"));
    await waitFor(() => expect(calls.map((c) => c.cmd)).toContain("push_answer"));
    await waitFor(() => expect(notify).toHaveBeenCalledWith("Intranet: approved", false));
    expect(calls.find((c) => c.cmd === "push_answer")?.args).toEqual({ id: "ch1", decision: "approve", number: 56 });
  });

  it("opens the sheet when a request arrives as an event", async () => {
    const calls = pushShell({ accounts: [pushAccount()], pending: [], history: [] });
    function Harness() {
      const push = usePush(true);
      return <PushSection push={push} nowMs={Date.now()} onNotify={vi.fn()} />;
    }
    render(<Harness />);
    await screen.findByTestId("push-section");
    expect(screen.queryByTestId("approval-sheet")).toBeNull();
    const arrived = challenge({ id: "new", app: "VPN", expiresAtMs: Date.now() + 60_000 });
    // The listeners register asynchronously: send until the sheet shows.
    await waitFor(async () => {
      await emit("push:snapshot", { accounts: [pushAccount()], pending: [arrived], history: [] });
      await emit("push:challenge", arrived);
      expect(screen.getByTestId("sheet-app").textContent).toBe("VPN");
    });
    expect(calls.filter((c) => c.cmd === "push_accounts").length).toBe(1);
  });

  it("shows the not-activated message and re-adds in place of the account", async () => {
    const message = "Authentication request is not for an activated account: the server no longer knows this device.";
    const old = pushAccount({ state: { state: "not_activated", message } });
    const calls = pushShell(
      { accounts: [old], pending: [], history: [] },
      {
        push_parse_activation: () => ({
          server: "https://127.0.0.1:8443/",
          user: "alice",
          issuer: "Test MFA",
          keyFingerprint: "AB:CD",
          tlsFingerprint: null,
          expires: NOW / 1000 + 600,
        }),
        push_activate: () => pushAccount({ deviceId: "dev2" }),
      },
    );
    function Harness() {
      const push = usePush(true);
      return <PushSection push={push} nowMs={Date.now()} onNotify={vi.fn()} />;
    }
    render(<Harness />);
    expect((await screen.findByTestId("push-problem")).textContent).toBe(message);
    expect(screen.getByTestId("push-state").textContent).toBe("Not activated");
    fireEvent.click(screen.getByTestId("push-readd"));
    expect(screen.getByTestId("replace-note").textContent).toContain("takes its name and place");
    fireEvent.input(screen.getByLabelText("Activation link"), { target: { value: "countersign://activate?v=1" } });
    fireEvent.click(screen.getByTestId("activation-continue"));
    expect((await screen.findByTestId("activation-fingerprint")).textContent).toBe("AB:CD");
    fireEvent.click(screen.getByTestId("push-activate"));
    await waitFor(() => expect(calls.find((c) => c.cmd === "push_activate")?.args).toEqual({ uri: "countersign://activate?v=1", replace: "dev1" }));
  });
});

describe("PushAccountRow", () => {
  it("shows a reconnecting account's next retry and why", () => {
    const a = pushAccount({ state: { state: "reconnecting", attempt: 3, retryAtMs: NOW + 4_500, code: "network", message: "connection refused" } });
    render(<PushAccountRow account={a} nowMs={NOW} onRemove={vi.fn()} onReAdd={vi.fn()} />);
    expect(screen.getByTestId("push-state").textContent).toBe("Reconnecting in 5 s");
    expect(screen.getByText("connection refused")).toBeTruthy();
    expect(screen.queryByTestId("push-readd")).toBeNull();
  });

  it("warns when the clock is far from the server's", () => {
    const a = pushAccount({ clockOffsetMs: 95_000, clockWarning: true });
    render(<PushAccountRow account={a} nowMs={NOW} onRemove={vi.fn()} onReAdd={vi.fn()} />);
    expect(screen.getByTestId("clock-warning").textContent).toContain("95.0 s behind");
  });
});

describe("activation", () => {
  it("the add dialog hands an activation link to push instead of adding an account", () => {
    const calls = pushShell({ accounts: [], pending: [], history: [] });
    const onActivationUri = vi.fn();
    render(<AddAccountDialog groups={[]} onAdded={vi.fn()} onClose={vi.fn()} onActivationUri={onActivationUri} />);
    fireEvent.input(screen.getByLabelText("Link (otpauth:// URI)"), { target: { value: " countersign://activate?v=1&x=y " } });
    fireEvent.click(screen.getByTestId("add-submit"));
    expect(onActivationUri).toHaveBeenCalledWith("countersign://activate?v=1&x=y");
    expect(calls.some((c) => c.cmd === "add_account_uri")).toBe(false);
  });

  it("shows the core's reason for a bad link and activates nothing", async () => {
    const calls = pushShell(
      { accounts: [], pending: [], history: [] },
      {
        push_parse_activation: () => {
          throw { code: "invalid_activation_uri", message: "this is not a valid Countersign activation code: missing fp" };
        },
      },
    );
    render(<PushActivateDialog initialUri="countersign://activate?v=1" replace={null} onActivated={vi.fn()} onClose={vi.fn()} />);
    expect((await screen.findByTestId("activation-uri-error")).textContent).toContain("missing fp");
    expect(calls.some((c) => c.cmd === "push_activate")).toBe(false);
  });

  it("wraps the push commands with their argument names", async () => {
    const calls = pushShell({ accounts: [], pending: [], history: [] }, { push_remove: () => ({ label: "x", deferred: false, message: null }) });
    await api.pushRemove("dev9");
    expect(calls.at(-1)).toEqual({ cmd: "push_remove", args: { deviceId: "dev9" } });
  });
});
