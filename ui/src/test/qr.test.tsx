// The QR, import and export components against a stand-in shell (mockIPC). The real commands
// are tested through Tauri's IPC in src-tauri/commands/tests_qr.rs and end to end in tests/e2e.
import { mockIPC } from "@tauri-apps/api/mocks";
import { fireEvent, render, screen, waitFor } from "@testing-library/preact";
import { describe, expect, it, vi } from "vitest";
import type { ImportPreview, ScanOutcome, TransferPage } from "../api";
import { AddAccountDialog } from "../components/AddAccountDialog";
import { ExportDialog } from "../components/ExportDialog";
import { ImportDialog, summary } from "../components/ImportDialog";
import { cameraError, isImagePath, NO_CAMERA, ScanPanel, toGrey } from "../components/ScanPanel";
import { ShowQrView, TransferQrView } from "../components/ShowQr";
import { account } from "./fixtures";

type Handler = (args: Record<string, unknown>) => unknown;

/** Answers the named commands; records every call; anything else fails loudly. */
function shell(handlers: Record<string, Handler>) {
  const calls: Array<{ cmd: string; args: Record<string, unknown> }> = [];
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    const handler = handlers[cmd];
    if (!handler) throw { code: "internal", message: `no ${cmd} in this test` };
    return handler(args);
  });
  return calls;
}

const GITHUB = { ...account({ id: "g", issuer: "GitHub", name: "alice" }), duplicate: false };
const PROTON = { ...account({ id: "p", issuer: "Proton", name: "bob" }), duplicate: true };

const TWO_ACCOUNTS: ScanOutcome = {
  codes: [
    { kind: "account", message: "TOTP account GitHub (alice): ready to add" },
    { kind: "account", message: "TOTP account Proton (bob): ready to add" },
  ],
  ready: { token: "7", accounts: [GITHUB, PROTON] },
};

describe("ScanPanel", () => {
  it("scans a dropped file, shows what it holds and adds only after the user confirms", async () => {
    const calls = shell({
      scan_file: () => TWO_ACCOUNTS,
      add_scanned: () => ({ added: [GITHUB], skippedDuplicates: 1 }),
    });
    const onAdded = vi.fn();
    render(<ScanPanel input={{ kind: "file", path: "/home/me/Pictures/codes.png" }} onAdded={onAdded} onClose={() => undefined} />);
    await screen.findByText("TOTP account GitHub (alice): ready to add");
    expect(calls.map((c) => c.cmd)).toEqual(["scan_file"]);
    expect(calls[0]!.args).toEqual({ path: "/home/me/Pictures/codes.png" });
    expect(screen.getByTestId("scan-accounts").textContent).toContain("already in the vault");
    // One of the two is a duplicate: it is left out unless the user asks for it.
    expect(screen.getByTestId("scan-add").textContent).toBe("Add account");
    fireEvent.click(screen.getByTestId("scan-add"));
    await waitFor(() => expect(onAdded).toHaveBeenCalledWith({ added: [GITHUB], skippedDuplicates: 1 }));
    expect(calls[1]).toEqual({ cmd: "add_scanned", args: { token: "7", keepDuplicates: false } });
  });

  it("adds duplicates too when the user ticks the box", async () => {
    const calls = shell({ scan_file: () => TWO_ACCOUNTS, add_scanned: () => ({ added: [], skippedDuplicates: 0 }) });
    render(<ScanPanel input={{ kind: "file", path: "/tmp/a.png" }} onAdded={() => undefined} onClose={() => undefined} />);
    fireEvent.click(await screen.findByLabelText("Add the duplicate anyway"));
    expect(screen.getByTestId("scan-add").textContent).toBe("Add 2 accounts");
    fireEvent.click(screen.getByTestId("scan-add"));
    await waitFor(() => expect(calls.some((c) => c.cmd === "add_scanned" && c.args.keepDuplicates === true)).toBe(true));
  });

  it("says plainly when the image holds no QR code", async () => {
    shell({ scan_file: () => ({ codes: [], ready: null }) });
    render(<ScanPanel input={{ kind: "file", path: "/tmp/holiday.jpg" }} onAdded={() => undefined} onClose={() => undefined} />);
    expect((await screen.findByTestId("scan-nothing")).textContent).toContain("No QR code was found in holiday.jpg");
  });

  it("shows what a non-account code holds and offers nothing to add", async () => {
    shell({
      scan_screen: () => ({
        codes: [
          { kind: "other", message: "Not an account: a web link, not an account: https://example.com" },
          {
            kind: "activation",
            message: "Push sign-in activation found (Countersign push activation for user u at X (https://mfa))",
            activationUri: "countersign://activate?v=1",
          },
        ],
        ready: null,
      }),
    });
    const activations: string[] = [];
    render(<ScanPanel onAdded={() => undefined} onClose={() => undefined} onActivationUri={(uri) => activations.push(uri)} />);
    fireEvent.click(screen.getByTestId("scan-screen"));
    await screen.findByText(/a web link, not an account/);
    expect(screen.getByText(/Push sign-in activation found/)).toBeTruthy();
    expect(screen.queryByTestId("scan-add")).toBeNull();
    fireEvent.click(screen.getByTestId("scan-activate"));
    expect(activations).toEqual(["countersign://activate?v=1"]);
  });

  it("shows the shell's error for an image it cannot read", async () => {
    shell({
      scan_file: () => {
        throw { code: "unreadable_image", message: "this is not an image that can be read (PNG, JPEG, GIF, BMP or WebP): bad" };
      },
    });
    render(<ScanPanel input={{ kind: "file", path: "/tmp/notes.txt" }} onAdded={() => undefined} onClose={() => undefined} />);
    expect((await screen.findByTestId("scan-error")).textContent).toContain("not an image that can be read");
  });

  it("tells the user when there is no camera", async () => {
    shell({});
    const original = navigator.mediaDevices;
    Object.defineProperty(navigator, "mediaDevices", { value: undefined, configurable: true });
    try {
      render(<ScanPanel onAdded={() => undefined} onClose={() => undefined} />);
      fireEvent.click(screen.getByTestId("scan-camera"));
      expect((await screen.findByTestId("scan-error")).textContent).toBe(NO_CAMERA);
    } finally {
      Object.defineProperty(navigator, "mediaDevices", { value: original, configurable: true });
    }
  });

  it("names a refused camera differently from a missing one", () => {
    expect(cameraError(new DOMException("x", "NotFoundError"))).toBe(NO_CAMERA);
    expect(cameraError(new DOMException("x", "NotAllowedError"))).toContain("not allowed");
  });

  it("tells images (scanned) from other dropped files (imported) by extension", () => {
    expect(isImagePath("/home/me/Pictures/Screenshot 2026.PNG")).toBe(true);
    expect(isImagePath("C:\\Users\\me\\code.jpeg")).toBe(true);
    expect(isImagePath("/home/me/aegis-export.json")).toBe(false);
    expect(isImagePath("/home/me/tokens")).toBe(false);
  });

  it("turns RGBA frames into one luma byte per pixel", () => {
    const grey = toGrey(new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255]));
    expect(Array.from(grey)).toEqual([255, 0, 76]);
  });
});

describe("AddAccountDialog", () => {
  it("scans an image pasted into the dialog", async () => {
    const calls = shell({ scan_image: () => TWO_ACCOUNTS });
    render(<AddAccountDialog groups={[]} onAdded={() => undefined} onClose={() => undefined} />);
    const png = new File([new Uint8Array([137, 80, 78, 71])], "pasted.png", { type: "image/png" });
    const paste = new Event("paste", { cancelable: true }) as ClipboardEvent;
    Object.defineProperty(paste, "clipboardData", {
      value: { items: [{ kind: "file", type: "image/png", getAsFile: () => png }] },
    });
    window.dispatchEvent(paste);
    await screen.findByText("TOTP account GitHub (alice): ready to add");
    const sent = calls.find((c) => c.cmd === "scan_image")!.args as unknown;
    expect(Array.from(sent as Uint8Array)).toEqual([137, 80, 78, 71]);
    expect(screen.getByTestId("tab-scan").getAttribute("aria-selected")).toBe("true");
  });
});

describe("ShowQr", () => {
  it("asks before revealing the secret, then shows the account's QR code", async () => {
    const calls = shell({ account_qr: () => "<svg xmlns='http://www.w3.org/2000/svg'></svg>" });
    render(<ShowQrView account={account({ id: "g", issuer: "GitHub", name: "alice" })} onBack={() => undefined} />);
    expect(screen.getByRole("note").textContent).toContain("shows the secret key");
    expect(calls).toEqual([]);
    fireEvent.click(screen.getByTestId("reveal-confirm-show"));
    const image = (await screen.findByTestId("account-qr")) as HTMLImageElement;
    expect(image.src.startsWith("data:image/svg+xml")).toBe(true);
    expect(calls).toEqual([{ cmd: "account_qr", args: { id: "g" } }]);
  });

  it("pages through transfer codes as 1 of N", async () => {
    const pages: TransferPage[] = [
      { number: 1, total: 2, accounts: 10, svg: "<svg>1</svg>" },
      { number: 2, total: 2, accounts: 2, svg: "<svg>2</svg>" },
    ];
    shell({ transfer_qr: () => pages });
    render(<TransferQrView ids={["a", "b"]} onBack={() => undefined} />);
    fireEvent.click(screen.getByTestId("reveal-confirm-show"));
    expect((await screen.findByTestId("transfer-page")).textContent).toBe("1 of 2 · 10 accounts");
    fireEvent.click(screen.getByTestId("transfer-next"));
    expect(screen.getByTestId("transfer-page").textContent).toBe("2 of 2 · 2 accounts");
    expect((screen.getByTestId("transfer-next") as HTMLButtonElement).disabled).toBe(true);
  });
});

describe("ExportDialog", () => {
  it("refuses two different backup passwords before asking for a file", () => {
    const calls = shell({});
    render(<ExportDialog onClose={() => undefined} />);
    fireEvent.input(screen.getByLabelText("Password for the backup"), { target: { value: "long enough 1" } });
    fireEvent.input(screen.getByLabelText("Repeat it"), { target: { value: "long enough 2" } });
    fireEvent.click(screen.getByTestId("export-save"));
    expect(screen.getByTestId("export-repeat-error").textContent).toBe("The two passwords differ.");
    expect(calls).toEqual([]);
  });

  it("saves an encrypted backup where the save dialog says", async () => {
    const calls = shell({ "plugin:dialog|save": () => "/home/me/backup.csv1", export_file: () => 3 });
    render(<ExportDialog onClose={() => undefined} />);
    fireEvent.input(screen.getByLabelText("Password for the backup"), { target: { value: "long enough" } });
    fireEvent.input(screen.getByLabelText("Repeat it"), { target: { value: "long enough" } });
    fireEvent.click(screen.getByTestId("export-save"));
    expect((await screen.findByTestId("export-done")).textContent).toContain("Saved 3 accounts to /home/me/backup.csv1");
    expect(calls.find((c) => c.cmd === "export_file")!.args).toEqual({
      path: "/home/me/backup.csv1",
      format: "countersign",
      password: "long enough",
    });
  });

  it("writes a plain export only after the warning is acknowledged", async () => {
    const calls = shell({ "plugin:dialog|save": () => "/tmp/plain.txt", export_file: () => 1 });
    render(<ExportDialog onClose={() => undefined} />);
    fireEvent.click(screen.getByTestId("export-tab-plain"));
    expect(screen.getByRole("note").textContent).toContain("not encrypted");
    const save = screen.getByTestId("export-plain-save") as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    fireEvent.click(screen.getByTestId("export-understood"));
    fireEvent.click(save);
    await waitFor(() => expect(calls.find((c) => c.cmd === "export_file")?.args).toEqual({ path: "/tmp/plain.txt", format: "otpauth", password: null }));
  });
});

describe("ImportDialog", () => {
  const preview: ImportPreview = {
    token: "4",
    format: "aegis",
    entries: [
      { index: 0, source: "entry 1", issuer: "GitHub", name: "alice", kind: "totp", digits: 6, group: null, duplicate: false },
      { index: 1, source: "entry 2", issuer: "Proton", name: "bob", kind: "totp", digits: 6, group: null, duplicate: true },
      { index: 2, source: "entry 3", issuer: "", name: "bank", kind: "hotp", digits: 6, group: null, duplicate: false },
    ],
    errors: [{ source: "entry 4 (Steam)", reason: "the secret is empty" }],
    duplicates: 1,
  };

  it("previews the file, then imports in one step", async () => {
    const calls = shell({
      import_formats: () => ["aegis", "pskc"],
      import_preview: () => preview,
      import_apply: () => ({ added: [], skippedDuplicates: 1 }),
    });
    const onImported = vi.fn();
    render(<ImportDialog path="/home/me/aegis.json" onImported={onImported} onClose={() => undefined} />);
    expect((await screen.findByTestId("import-summary")).textContent).toBe("3 accounts in this file (Aegis), 1 already in the vault.");
    expect(screen.getByText("entry 4 (Steam): the secret is empty")).toBeTruthy();
    expect(screen.getByTestId("import-apply").textContent).toBe("Import 2 accounts");
    fireEvent.click(screen.getByTestId("import-apply"));
    await waitFor(() => expect(onImported).toHaveBeenCalled());
    expect(calls.find((c) => c.cmd === "import_apply")!.args).toEqual({ token: "4", keepDuplicates: false, only: null });
  });

  it("asks for the password of an encrypted file and reads it again", async () => {
    let attempts = 0;
    const calls = shell({
      import_formats: () => [],
      import_preview: (args) => {
        attempts++;
        if (!args.password) throw { code: "password_required", message: "the aegis file is encrypted: supply its password", field: "password" };
        return preview;
      },
    });
    render(<ImportDialog path="/tmp/aegis.json" onImported={() => undefined} onClose={() => undefined} />);
    expect((await screen.findByTestId("import-password-error")).textContent).toContain("encrypted");
    fireEvent.input(screen.getByLabelText("The file's password"), { target: { value: "hunter22" } });
    fireEvent.click(screen.getByTestId("import-read"));
    await screen.findByTestId("import-summary");
    expect(attempts).toBe(2);
    expect(calls.filter((c) => c.cmd === "import_preview")[1]!.args.password).toBe("hunter22");
  });

  it("names what is wrong with a bad file and offers nothing to import", async () => {
    shell({
      import_formats: () => [],
      import_preview: () => {
        throw { code: "malformed_file", message: "not a valid pskc file: line 3: unexpected end of the document" };
      },
    });
    render(<ImportDialog path="/tmp/broken.xml" onImported={() => undefined} onClose={() => undefined} />);
    expect((await screen.findByTestId("import-error")).textContent).toContain("line 3");
    expect((screen.getByTestId("import-apply") as HTMLButtonElement).disabled).toBe(true);
  });

  it("summarises a one-entry file in the singular", () => {
    expect(summary({ ...preview, format: "pskc", entries: [preview.entries[0]!], duplicates: 0 })).toBe(
      "1 account in this file (PSKC token file, RFC 6030).",
    );
  });
});
