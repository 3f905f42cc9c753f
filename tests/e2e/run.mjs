#!/usr/bin/env node
// End-to-end tests of the built app, in the WebKitGTK webview it ships with:
// tauri-driver -> WebKitWebDriver -> countersign-app, under Xvfb, against a real Secret Service.
//
//   npm --prefix ui run build
//   cargo build --features custom-protocol --bin countersign-app
//   cargo build -p countersign-cli
//   scripts/with-keyring.sh node tests/e2e/run.mjs          # DISPLAY set, or Xvfb is started
//
// Environment: CARGO_TARGET_DIR (default ./target), COUNTERSIGN_APP / COUNTERSIGN_CLI (binaries),
// TAURI_DRIVER (default: tauri-driver on PATH or in ~/.cargo/bin), E2E_ONLY (substring of test
// names to run), E2E_SCREENSHOTS (folder for the screenshots; default docs/screenshots).
// Prints one line per test and `N passed, N failed` at the end; exits non-zero on any failure.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appBinary, binary, Driver, failureDir, onExit, Pending, runSuite, screenshotDir, spawnTracked } from "./harness.mjs";
import { Key, sleep } from "./webdriver.mjs";

const cliBinary = binary("COUNTERSIGN_CLI", "countersign");
const work = mkdtempSync(join(tmpdir(), "countersign-e2e-"));
const vaultPath = join(work, "vault.csv1");
const PASSWORD = "e2e correct horse battery";

const GITHUB = "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const PROTON = "otpauth://totp/Proton:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Proton";
const BACKED_UP = "otpauth://totp/Backedup:erin?secret=NBSWY3DPFQQHO33SNRSCC2LT&issuer=Backedup";
const BACKUP_PASSWORD = "e2e backup password";

onExit(() => rmSync(work, { recursive: true, force: true }));

// --- helpers ----------------------------------------------------------------------------------
function cli(...args) {
  if (!existsSync(cliBinary)) throw new Pending(`the CLI is not built (${cliBinary}); cargo build -p countersign-cli`);
  return execFileSync(cliBinary, args, { env: { ...process.env, COUNTERSIGN_VAULT: vaultPath }, encoding: "utf8" });
}

function clipboardText() {
  try {
    return execFileSync("xclip", ["-selection", "clipboard", "-o"], { encoding: "utf8", timeout: 5000 });
  } catch {
    return ""; // an empty clipboard makes xclip fail
  }
}

/** What the list shows, row by row. */
function rows(session) {
  return session.execute(`
    return [...document.querySelectorAll('.row')]
      .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
      .map((r) => ({
        id: r.dataset.accountId,
        issuer: r.querySelector('.row__issuer').textContent,
        name: r.querySelector('.row__name')?.textContent ?? '',
        code: r.querySelector('[data-testid=code]').dataset.code,
        validUntil: Number(r.querySelector('[data-testid=code]').dataset.validUntil),
      }));`);
}

async function rowFor(session, text) {
  return session.waitFor(`.row[data-account-id="${(await findRow(session, text)).id}"]`);
}

async function findRow(session, text) {
  return session.until(`a row with ${text}`, async () =>
    (await rows(session)).find((r) => r.issuer.includes(text) || r.name.includes(text)),
  );
}

async function addByUri(session, uri) {
  await (await session.find("[data-testid=open-add]")).click();
  const field = await session.waitFor("#uri");
  await field.type(uri);
  await (await session.find("[data-testid=add-submit]")).click();
}

function assertEqual(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

function assert(condition, what) {
  if (!condition) throw new Error(what);
}

/** A QR code of `text` made by another encoder (libqrencode), as a PNG file in the work folder. */
function qrPng(text, name, scale = 6) {
  const path = join(work, name);
  try {
    execFileSync("qrencode", ["-s", String(scale), "-m", "4", "-o", path, text]);
  } catch (e) {
    throw new Pending(`qrencode is missing (apt-get install qrencode): ${e.message}`);
  }
  return path;
}

/**
 * What the window manager does when a file is dropped on the window: Tauri's drag-drop event for
 * the webview, with the dropped paths. WebDriver cannot drag from the desktop, so the event is
 * emitted through the app's own event IPC; the UI's drop handler takes it from there.
 */
async function dropFiles(s, paths, then) {
  // The UI subscribes to drops once the account list shows; until that subscription is in,
  // a drop goes unheard (as it would for a person dropping during start-up), so drop again.
  await s.until(`${then} after dropping ${paths}`, async () => {
    await s.invoke("plugin:event|emit", { event: "tauri://drag-drop", payload: { paths, position: { x: 120, y: 200 } } });
    await sleep(300);
    return (await s.findAll(then)).length > 0;
  });
}

/** The QR codes `countersign scan --json` reads in a screenshot of the app (once it is painted). */
async function scanScreenshot(s, name) {
  const file = join(work, name);
  return s.until(`a QR code in a screenshot (${name})`, async () => {
    writeFileSync(file, await s.screenshot());
    try {
      const out = JSON.parse(cli("scan", file, "--json"));
      const codes = out.sources.flatMap((source) => source.codes);
      return codes.length ? codes : undefined;
    } catch (e) {
      if (e instanceof Pending) throw e;
      return undefined; // exit 3: nothing read yet
    }
  });
}

/** Clicks `css` (scrolled into view) until `then` matches: a click on a button below the fold can
 * land while the page is still scrolling. */
async function clickUntil(s, css, then) {
  await s.until(`${then} after clicking ${css}`, async () => {
    if ((await s.findAll(then)).length > 0) return true;
    const button = await s.find(css);
    await s.execute("arguments[0].scrollIntoView({block: 'center'})", { "element-6066-11e4-a52e-4f735466cecf": button.id });
    await button.click();
    await sleep(150);
    return (await s.findAll(then)).length > 0;
  });
}

async function closeDialogs(s) {
  for (let i = 0; i < 3 && (await s.findAll("[role=dialog]")).length > 0; i++) {
    await s.keys(Key.Escape);
    await sleep(200);
  }
}

const DROPPED = "otpauth://totp/Dropbox:carol%40example.com?secret=MFRGGZDFMZTWQ2LKMFRGGZDF&issuer=Dropbox";
const ON_SCREEN = "otpauth://totp/ScreenCo:dave?secret=ONSWG4TFOQYTEMZUONSWG4TF&issuer=ScreenCo";

// --- the tests --------------------------------------------------------------------------------
let driver;
let session;

const tests = [
  ["first start creates a keystore vault and explains how to add an account", async () => {
    const empty = await session.waitFor("[data-testid=empty-state]");
    assert((await empty.text()).includes("otpauth://"), "the empty state explains otpauth links");
    assert(existsSync(vaultPath), "the vault file was created");
  }],

  ["an account added by URI shows the code `countersign code` prints", async () => {
    await addByUri(session, GITHUB);
    const row = await session.until("GitHub's code", async () => (await rows(session)).find((r) => r.code));
    assertEqual(row.issuer, "GitHub", "issuer");
    assertEqual(row.name, "alice@example.com", "account name");
    const shown = await (await session.find(`.row[data-account-id="${row.id}"] [data-testid=code]`)).text();
    assertEqual(shown, `${row.code.slice(0, 3)} ${row.code.slice(3)}`, "the code is grouped for reading");
    const printed = JSON.parse(cli("code", "GitHub", "--at", String(row.validUntil - 1), "--json"));
    assertEqual(printed.code, row.code, "the CLI's code for the same account and time");
  }],

  ["copying puts the code on the clipboard and clears it later", async () => {
    await session.invoke("save_settings", {
      settings: { lockAfterMinutes: 5, clipboardClearSeconds: 3, showNextCode: true, sortOrder: "custom" },
    });
    await session.execute("location.reload()");
    const row = await rowFor(session, "GitHub");
    await row.click();
    const copied = await session.until("the clipboard to hold a code", () => clipboardText().match(/^\d{6}$/)?.[0]);
    const codes = await session.invoke("codes", { ids: [(await findRow(session, "GitHub")).id] });
    const now = Math.floor(Date.now() / 1000);
    assert(copied === codes[0].code || now - codes[0].validUntil + 30 <= 2, `clipboard ${copied} vs shown ${codes[0].code}`);
    const toast = await session.waitFor("[data-testid=toast]");
    assert((await toast.text()).includes("clears in 3 s"), "the toast says when the clipboard clears");
    await session.until("the clipboard to be cleared", () => clipboardText() === "", 8000);
  }],

  ["search filters as you type and / focuses it", async () => {
    await session.keys([Key.Control, "n"]);
    const field = await session.waitFor("#uri");
    await field.type(PROTON);
    await session.keys(Key.Enter);
    await session.until("two rows", async () => (await rows(session)).length === 2);
    await (await session.find(".row")).focus();
    await session.keys("/");
    await session.until("the search to have focus", () => session.execute("return document.activeElement.id === 'search'"));
    await session.keys("prot");
    await session.until("one row", async () => (await rows(session)).length === 1);
    assertEqual((await rows(session))[0].issuer, "Proton", "the row left");
    await session.keys(Key.Escape);
    await session.until("both rows back", async () => (await rows(session)).length === 2);
  }],

  ["a bad URI shows the field error and saves nothing", async () => {
    const before = readFileSync(vaultPath);
    await addByUri(session, "otpauth://totp/Bad?secret=not*base32");
    const error = await session.waitFor("[data-testid=uri-error]");
    assert((await error.text()).includes("secret"), `the error names the secret: ${await error.text()}`);
    assertEqual(await (await session.find("#uri")).attribute("aria-invalid"), "true", "the field is marked invalid");
    await session.keys(Key.Escape);
    await session.until("the dialog to close", async () => (await session.findAll("[data-testid=add-dialog]")).length === 0);
    assertEqual((await rows(session)).length, 2, "rows after the bad URI");
    assert(Buffer.compare(before, readFileSync(vaultPath)) === 0, "the vault file is unchanged");
  }],

  ["a rename from the keyboard survives a restart", async () => {
    await (await rowFor(session, "GitHub")).focus();
    await session.keys("e");
    const name = await session.waitFor("#edit-name");
    await name.clear();
    await name.type("alice-renamed");
    await (await session.find("[data-testid=edit-save]")).click();
    await findRow(session, "alice-renamed");
    await session.quit();
    session = await driver.launch();
    const row = await findRow(session, "alice-renamed");
    assertEqual(row.issuer, "GitHub", "the issuer after restart");
    if (existsSync(cliBinary)) {
      const listed = JSON.parse(cli("list", "--json"));
      const accounts = Array.isArray(listed) ? listed : listed.accounts;
      assert(JSON.stringify(accounts).includes("alice-renamed"), "the CLI sees the new name");
    }
  }],

  ["remove asks first, then removes", async () => {
    await (await rowFor(session, "Proton")).focus();
    await session.keys(Key.Delete);
    const warning = await session.waitFor("[data-testid=remove-warning]");
    assert((await warning.text()).includes("will be gone"), "the dialog says the codes will be gone");
    await session.keys(Key.Escape);
    await session.until("the dialog to close", async () => (await session.findAll("[data-testid=remove-dialog]")).length === 0);
    assertEqual((await rows(session)).length, 2, "rows after keeping it");
    await (await rowFor(session, "Proton")).focus();
    await session.keys(Key.Delete);
    await (await session.waitFor("[data-testid=remove-confirm]")).click();
    await session.until("one row", async () => (await rows(session)).length === 1);
    assertEqual((await rows(session))[0].issuer, "GitHub", "the row left");
  }],

  ["with a password set, the lock screen refuses a wrong one", async () => {
    await (await session.find("[data-testid=open-settings]")).click();
    // The panel may still be settling (settings load) when the first keys arrive: type until
    // each field holds the text.
    for (const field of ["#new-password", "#repeat-password"]) {
      await session.until(`${field} to hold the password`, async () => {
        const input = await session.waitFor(field);
        if ((await input.property("value")) === PASSWORD) return true;
        await input.clear();
        await input.type(PASSWORD);
        return (await input.property("value")) === PASSWORD;
      });
    }
    await (await session.find("[data-testid=save-password]")).click();
    await session.waitFor("[role=status]", { predicate: async (e) => (await e.text()).includes("Password saved"), timeout: 20_000 });
    await session.quit();
    session = await driver.launch();
    await session.waitFor("[data-testid=lock-screen]");
    await (await session.find("#lock-password")).type("not the password");
    await session.keys(Key.Enter);
    const error = await session.waitFor("[data-testid=lock-error]", { timeout: 20_000 });
    assert((await error.text()).includes("not right"), "the lock screen says the password is wrong");
    assertEqual((await session.findAll(".row")).length, 0, "no account is shown");
    await (await session.find("#lock-password")).type(PASSWORD);
    await session.keys(Key.Enter);
    await findRow(session, "alice-renamed");
  }],

  ["an image dropped on the window is scanned and adds the account once confirmed", async () => {
    const png = qrPng(DROPPED, "dropped.png");
    const before = (await rows(session)).length;
    await dropFiles(session, [png], "[data-testid=add-dialog]");
    const result = await session.waitFor("[data-testid=scan-result]", { timeout: 20_000 });
    assert((await result.text()).includes("TOTP account Dropbox (carol@example.com)"), `the scan says what it found: ${await result.text()}`);
    assertEqual((await rows(session)).length, before, "nothing is added before the user confirms");
    await (await session.find("[data-testid=scan-add]")).click();
    await findRow(session, "Dropbox");
    const listed = JSON.parse(cli("list", "--json"));
    assert(JSON.stringify(listed).includes("carol@example.com"), "the CLI sees the dropped account in the vault");
  }],

  ["a token file dropped on the window is previewed, and a broken one refused with the vault unchanged", async () => {
    const broken = join(work, "aegis-export.json");
    writeFileSync(broken, '{"version": 1, "header": {"slots": null, "params": null}, "db": 7}');
    const before = readFileSync(vaultPath);
    await dropFiles(session, [broken], "[data-testid=import-dialog]");
    const error = await session.waitFor("[data-testid=import-error]", { timeout: 20_000 });
    assert((await error.text()).includes("not a valid aegis file"), `the error names the format and the fault: ${await error.text()}`);
    assert(Buffer.compare(before, readFileSync(vaultPath)) === 0, "the vault file is unchanged");
    await closeDialogs(session);

    const list = join(work, "tokens.txt");
    writeFileSync(
      list,
      [
        "otpauth://totp/Fastmail:erin?secret=KRSXG5CTMVRXEZLUKRSXG5CT&issuer=Fastmail",
        "otpauth://hotp/Gitea:frank?secret=GEZDGNBVGY3TQOJQGEZDGNBV&issuer=Gitea&counter=3",
        DROPPED,
        "",
      ].join("\n"),
    );
    await dropFiles(session, [list], "[data-testid=import-dialog]");
    const summary = await session.waitFor("[data-testid=import-summary]", { timeout: 20_000 });
    assertEqual(await summary.text(), "3 accounts in this file (otpauth:// links, one per line), 1 already in the vault.", "the preview");
    assertEqual(await (await session.find("[data-testid=import-apply]")).text(), "Import 2 accounts", "duplicates are left out");
    await (await session.find("[data-testid=import-apply]")).click();
    await findRow(session, "Fastmail");
    await findRow(session, "Gitea");
    assertEqual((await rows(session)).filter((r) => r.issuer.includes("Dropbox")).length, 1, "the duplicate was not added twice");
  }],

  ["scan the screen finds a QR code shown in another window", async () => {
    const png = qrPng(ON_SCREEN, "on-screen.png", 4);
    const viewer = spawnTracked("display", ["-title", "countersign-e2e-qr", "-geometry", "+860+40", png], { stdio: "ignore" });
    try {
      await session.until("the QR window", () => {
        try {
          execFileSync("xwininfo", ["-name", "countersign-e2e-qr"], { stdio: "ignore" });
          return true;
        } catch {
          return false;
        }
      });
      await sleep(500);
      await (await session.find("[data-testid=open-add]")).click();
      await (await session.waitFor("[data-testid=tab-scan]")).click();
      await (await session.waitFor("[data-testid=scan-screen]")).click();
      const result = await session.waitFor("[data-testid=scan-result], [data-testid=scan-nothing], [data-testid=scan-error]", { timeout: 30_000 });
      assert((await result.text()).includes("TOTP account ScreenCo (dave)"), `the screen scan found the code: ${await result.text()}`);
      await (await session.find("[data-testid=scan-add]")).click();
      await findRow(session, "ScreenCo");
    } finally {
      viewer.kill("SIGTERM");
    }
  }],

  ["the camera button says plainly that there is no camera", async () => {
    const media = await session.execute("return typeof navigator.mediaDevices?.getUserMedia");
    assertEqual(media, "function", "media streams are enabled in the webview (getUserMedia exists)");
    await (await session.find("[data-testid=open-add]")).click();
    await (await session.waitFor("[data-testid=tab-scan]")).click();
    await (await session.waitFor("[data-testid=scan-camera]")).click();
    const error = await session.waitFor("[data-testid=scan-error]", { timeout: 20_000 });
    assert((await error.text()).startsWith("No camera was found."), `the message: ${await error.text()}`);
    await sleep(300);
    writeFileSync(join(failureDir, "..", "no-camera.png"), await session.screenshot());
    await closeDialogs(session);
  }],

  ["show QR reveals the account only after a confirmation, and the code decodes back to it", async () => {
    const github = await findRow(session, "alice-renamed");
    await clickUntil(session, "[data-testid=open-settings]", "[data-testid=open-export]");
    await clickUntil(session, "[data-testid=open-export]", "[data-testid=export-tab-qr]");
    await (await session.waitFor("[data-testid=export-tab-qr]")).click();
    await (await session.waitFor(`[data-testid="show-qr-${github.id}"]`)).click();
    const warning = await session.waitFor("[data-testid=reveal-confirm]");
    assert((await warning.text()).includes("shows the secret key"), "the confirmation says what showing reveals");
    assertEqual((await session.findAll("[data-testid=account-qr]")).length, 0, "no code before the confirmation");
    await (await session.find("[data-testid=reveal-confirm-show]")).click();
    await session.waitFor("[data-testid=account-qr]", { predicate: async (e) => (await e.property("naturalWidth")) > 0 });
    const codes = await scanScreenshot(session, "account-qr.png");
    const stored = cli("show", "alice-renamed", "--reveal").trim();
    assertEqual(codes.map((c) => c.text), [stored], "the QR code on screen holds the stored account's URI");

    await (await session.find(".qr-view .button")).click(); // Hide
    await clickUntil(session, "[data-testid=show-transfer]", "[data-testid=reveal-confirm-show]");
    await (await session.waitFor("[data-testid=reveal-confirm-show]")).click();
    const page = await session.waitFor("[data-testid=transfer-page]");
    assert((await page.text()).startsWith("1 of 1"), `one transfer page: ${await page.text()}`);
    await session.waitFor("[data-testid=transfer-qr]", { predicate: async (e) => (await e.property("naturalWidth")) > 0 });
    const transfer = await scanScreenshot(session, "transfer-qr.png");
    assertEqual(transfer.map((c) => c.kind), ["transfer"], "the page holds a Google Authenticator transfer code");
    const listed = JSON.parse(cli("list", "--json"));
    const count = (Array.isArray(listed) ? listed : listed.accounts).filter((a) => a.kind !== "steam").length;
    assert(transfer[0].description.includes(`with ${count} accounts`), `the code carries every account: ${transfer[0].description}`);
    await closeDialogs(session);
    await (await session.waitFor("[data-testid=settings-back]")).click();
  }],

  ["automatic backups: turned on in settings, a new account lands in a backup the CLI opens and restores", async () => {
    const folder = join(work, "backups");
    if ((await rows(session)).length === 0) {
      await addByUri(session, GITHUB); // run on its own (E2E_ONLY), the vault starts empty
      await findRow(session, "GitHub");
    }
    // Accounts exist and were never backed up: the reminder says so, without blocking anything.
    const reminder = await session.waitFor("[data-testid=backup-reminder]", { timeout: 20_000 });
    assert((await reminder.text()).includes("not backed up yet"), `the reminder: ${await reminder.text()}`);
    // The folder dialog is the desktop's own window, out of WebDriver's reach: save what choosing
    // the folder saves, then reload so the UI reads it.
    const current = await session.invoke("settings", {});
    await session.invoke("save_settings", { settings: { ...current, backupFolder: folder } });
    await session.execute("location.reload()");
    await clickUntil(session, "[data-testid=open-settings]", "[data-testid=backup-settings]");
    assertEqual(await (await session.waitFor("[data-testid=backup-folder-path]")).text(), folder, "the folder shown");
    for (const field of ["#backup-password", "#backup-repeat"]) {
      await session.until(`${field} to hold the backup password`, async () => {
        const input = await session.waitFor(field);
        if ((await input.property("value")) === BACKUP_PASSWORD) return true;
        await input.clear();
        await input.type(BACKUP_PASSWORD);
        return (await input.property("value")) === BACKUP_PASSWORD;
      });
    }
    await clickUntil(session, "[data-testid=save-backup-password]", "[data-testid=backup-done]");
    await session.until("automatic backups to be on", async () => {
      const box = await session.find("#auto-backup");
      if (await box.property("checked")) return (await session.invoke("settings", {})).autoBackup;
      await session.execute("arguments[0].scrollIntoView({block: 'center'})", { "element-6066-11e4-a52e-4f735466cecf": box.id });
      await box.click();
      await sleep(300);
      return false;
    });
    await clickUntil(session, "[data-testid=settings-back]", "[data-testid=open-add]");

    await addByUri(session, BACKED_UP);
    await findRow(session, "Backedup");
    // The backup is written a few seconds after the last change, off the UI thread.
    const listing = await session.until(
      "a backup that holds the new account",
      () => {
        const listed = JSON.parse(cli("backup", "list", "--dir", folder, "--json"));
        return listed.backups.length > 0 && !listed.changed_since_last ? listed : undefined;
      },
      60_000,
    );
    const newest = listing.backups.at(-1);
    assert(/countersign-backup-\d{8}T\d{6}Z(-\d+)?\.csv1$/.test(newest), `a versioned name: ${newest}`);
    const ids = (out) => {
      const listed = JSON.parse(out);
      return (Array.isArray(listed) ? listed : listed.accounts).map((a) => a.id).sort();
    };
    const inBackup = execFileSync(cliBinary, ["list", "--json"], {
      env: { ...process.env, COUNTERSIGN_VAULT: newest, COUNTERSIGN_PASSWORD: BACKUP_PASSWORD },
      encoding: "utf8",
    });
    assert(inBackup.includes("Backedup"), `the backup holds the new account: ${inBackup}`);
    assertEqual(ids(inBackup), ids(cli("list", "--json")), "the backup holds every account of the app's vault");

    // Restore into a fresh vault on "another machine".
    const restored = join(work, "restored.csv1");
    const other = (args, input = "") =>
      execFileSync(cliBinary, args, {
        env: { ...process.env, COUNTERSIGN_VAULT: restored, COUNTERSIGN_PASSWORD: "restored vault pw" },
        input,
        encoding: "utf8",
      });
    other(["vault", "init", "--no-keystore"]);
    other(["backup", "restore", newest, "--backup-password-stdin"], `${BACKUP_PASSWORD}\n`);
    const original = cli("show", "Backedup", "--reveal").trim();
    assert(original.includes("NBSWY3DPFQQHO33SNRSCC2LT"), `the app's vault holds the secret: ${original}`);
    assertEqual(other(["show", "Backedup", "--reveal"]).trim(), original, "the restored account is the one in the app's vault");

    await session.until("the reminder to go", async () => (await session.findAll("[data-testid=backup-reminder]")).length === 0, 20_000);
  }],

  ["screenshots of the list, add and settings screens, light and dark", async () => {
    await session.quit();
    session = undefined;
    await driver.stop();
    mkdirSync(screenshotDir, { recursive: true });
    const demoVault = join(work, "demo.csv1");
    const schemes = {};
    for (const theme of ["light", "dark"]) {
      driver = await Driver.start(appBinary, {
        COUNTERSIGN_VAULT: demoVault,
        ...(theme === "dark" ? { GTK_THEME: "Adwaita:dark" } : { GTK_THEME: "Adwaita" }),
      });
      session = await driver.launch();
      if (theme === "light") {
        await session.invoke("save_settings", {
          settings: { lockAfterMinutes: 5, clipboardClearSeconds: 30, showNextCode: true, sortOrder: "custom" },
        });
        await fillDemoVault(session);
      }
      await session.until("codes", async () => (await rows(session)).filter((r) => r.code).length >= 4);
      schemes[theme] = await session.execute("return matchMedia('(prefers-color-scheme: dark)').matches");
      await session.execute("document.activeElement && document.activeElement.blur()");
      await shot(`list-${theme}`);
      await (await session.find("[data-testid=open-add]")).click();
      await (await session.waitFor("#uri")).type("otpauth://totp/Example:me?secret=JBSW1");
      await (await session.find("[data-testid=add-submit]")).click();
      await session.waitFor("[data-testid=uri-error]");
      await shot(`add-${theme}`);
      await session.keys(Key.Escape);
      await (await session.waitFor("[data-testid=open-settings]")).click();
      await session.waitFor("[data-testid=settings]");
      await shot(`settings-${theme}`);
      await session.quit();
      session = undefined;
      await driver.stop();
    }
    assert(!schemes.light && schemes.dark, `prefers-color-scheme follows the GTK theme (light: ${schemes.light}, dark: ${schemes.dark})`);
  }],
];

async function fillDemoVault(s) {
  const demo = [
    ["otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub", { group: "Work", favourite: true }],
    ["otpauth://totp/Proton%20Mail:alice%40proton.me?secret=KRSXG5CTMVRXEZLU&issuer=Proton%20Mail", { group: "Personal" }],
    ["otpauth://totp/Amazon%20Web%20Services:ops-admin?secret=GEZDGNBVGY3TQOJQ&issuer=Amazon%20Web%20Services", { group: "Work" }],
    ["otpauth://totp/Mastodon:%40alice%40fosstodon.org?secret=MFRGGZDFMZTWQ2LK&issuer=Mastodon", {}],
    ["otpauth://totp/Nextcloud:alice?secret=ONSWG4TFOQYTEMZU&issuer=Nextcloud&digits=8&period=60", { group: "Personal" }],
    ["otpauth://hotp/YubiBank:4921%20****%200042?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=YubiBank&counter=0", {}],
  ];
  for (const [uri, patch] of demo) {
    const account = await s.invoke("add_account_uri", { uri });
    if (Object.keys(patch).length) await s.invoke("update_account", { id: account.id, patch });
  }
  await s.execute("location.reload()");
  await s.until("the demo rows", async () => (await rows(s)).length === demo.length);
}

async function shot(name) {
  writeFileSync(join(screenshotDir, `${name}.png`), await session.screenshot());
}

// --- runner -----------------------------------------------------------------------------------
await runSuite({
  label: "e2e",
  binaries: [["app", appBinary, "cargo build --features custom-protocol --bin countersign-app"]],
  tests,
  start: async () => {
    driver = await Driver.start(appBinary, { COUNTERSIGN_VAULT: vaultPath });
    session = await driver.launch();
  },
  stop: async () => {
    // A test that restarts the app may leave no session behind.
    if (session) await session.quit();
    if (driver && driver.child.exitCode === null) await driver.stop();
  },
  screenshot: () => session.screenshot(),
});
