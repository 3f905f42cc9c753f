#!/usr/bin/env node
// End-to-end test of push sign-in approvals in the real app window: the real countersign-server
// on loopback (made with its admin CLI, reached over HTTPS by a relying party written here), the
// built app driven through tauri-driver + WebKitWebDriver under Xvfb, a real Secret Service.
//
//   npm --prefix ui run build
//   cargo build --features custom-protocol --bin countersign-app
//   cargo build -p countersign-server
//   scripts/with-keyring.sh node tests/e2e/push.mjs          # DISPLAY set, or Xvfb is started
//
// Environment: CARGO_TARGET_DIR (default ./target), COUNTERSIGN_APP / COUNTERSIGN_SERVER
// (binaries), TAURI_DRIVER, E2E_ONLY (substring of test names to run), E2E_SCREENSHOTS (folder
// for the approval sheet's screenshot; default docs/screenshots).
// Prints one line per test and `N passed, N failed` at the end; exits non-zero on any failure.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { appBinary, binary, Driver, onExit, runSuite, screenshotDir, spawnTracked } from "./harness.mjs";

const serverBinary = binary("COUNTERSIGN_SERVER", "countersign-server");
const work = mkdtempSync(join(tmpdir(), "countersign-e2e-push-"));
const vaultPath = join(work, "vault.csv1");
const serverData = join(work, "server");
const API_KEY = "e2e-relying-party-key-0123456789abcdef";
const NOT_ACTIVATED = "Authentication request is not for an activated account";

onExit(() => rmSync(work, { recursive: true, force: true }));

// --- the server: real binary, admin CLI, relying-party API over HTTPS ---------------------------
function freePort() {
  return new Promise((done, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => done(port));
    });
  });
}

class MfaServer {
  static async start() {
    const port = await freePort();
    mkdirSync(serverData, { recursive: true });
    writeFileSync(
      join(serverData, "countersign-server.toml"),
      [
        'server_name = "E2E MFA"',
        `api_keys = ["${API_KEY}"]`,
        `public_url = "https://127.0.0.1:${port}"`,
        "challenge_ttl_seconds = 120",
        "pushes_per_minute = 1000",
      ].join("\n") + "\n",
    );
    const child = spawnTracked(serverBinary, ["--data", serverData, "serve", "--listen", `127.0.0.1:${port}`], {
      env: { ...process.env, RUST_LOG: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stderr.on("data", (d) => (log = (log + d).slice(-4000)));
    const lines = createInterface({ input: child.stdout });
    await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`countersign-server did not start: ${log}`)), 30_000);
      child.once("exit", (code) => fail(new Error(`countersign-server exited (${code}): ${log}`)));
      lines.on("line", (line) => {
        if (line.startsWith("challenge-signing key fingerprint")) {
          clearTimeout(timer);
          done();
        }
      });
    });
    // The self-signed certificate the server made, trusted for this process's requests only.
    return new MfaServer(`https://127.0.0.1:${port}`, readFileSync(join(serverData, "tls-cert.pem")));
  }

  constructor(url, ca) {
    this.url = url;
    this.ca = ca;
  }

  admin(...args) {
    return execFileSync(serverBinary, ["--data", serverData, ...args], {
      env: { ...process.env, RUST_LOG: "warn" },
      encoding: "utf8",
    });
  }

  /** A relying party's call to the server's API: `{status, body}`. */
  call(method, path, body) {
    return new Promise((done, fail) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${this.url}${path}`,
        {
          method,
          ca: this.ca,
          headers: {
            authorization: `Bearer ${API_KEY}`,
            ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d) => (text += d));
          res.on("end", () => {
            let json = null;
            try {
              json = JSON.parse(text);
            } catch {
              // not JSON
            }
            done({ status: res.statusCode, body: json ?? text });
          });
        },
      );
      req.on("error", fail);
      req.end(payload);
    });
  }

  newActivation(user) {
    return this.admin("activation", "create", user).split("\n")[0].trim();
  }

  async push(user, app) {
    const r = await this.call("POST", `/v1/users/${user}/push`, { app, client_ip: "198.51.100.7", location: "Lisbon, PT" });
    if (r.status !== 201) throw new Error(`push: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  /** The relying party's long-poll for the result of challenge `id`. */
  async result(id, wait = 40) {
    const r = await this.call("GET", `/v1/push/${id}?wait=${wait}`);
    if (r.status !== 200) throw new Error(`result: HTTP ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

// --- helpers ----------------------------------------------------------------------------------
function assert(condition, what) {
  if (!condition) throw new Error(what);
}

function assertEqual(actual, expected, what) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** The colon-hex form the confirm screen shows of the URI's `fp`. */
function colonHex(hex) {
  return hex.toUpperCase().match(/../g).join(":");
}

function pushAccounts(session) {
  return session.execute(`
    return [...document.querySelectorAll('[data-testid=push-account]')].map((a) => ({
      deviceId: a.dataset.deviceId,
      state: a.dataset.state,
      label: a.querySelector('.push-account__label').textContent,
      badge: a.querySelector('[data-testid=push-state]').textContent,
      problem: a.querySelector('[data-testid=push-problem]')?.textContent ?? null,
    }));`);
}

async function accountIn(session, state, timeout = 20_000) {
  return session.until(`a push account ${state}`, async () => (await pushAccounts(session)).find((a) => a.state === state), timeout);
}

/** Pastes `uri` into the add dialog and activates from the confirm screen. */
async function activateThroughAddDialog(session, uri, user) {
  await (await session.waitFor("[data-testid=open-add]")).click();
  await (await session.waitFor("#uri")).type(uri);
  await (await session.find("[data-testid=add-submit]")).click();
  await confirmActivation(session, uri, user);
}

async function confirmActivation(session, uri, user) {
  const fp = new URL(uri.replace("countersign://", "https://")).searchParams.get("fp");
  const shown = await session.waitFor("[data-testid=activation-fingerprint]");
  assertEqual(await shown.text(), colonHex(fp), "the confirm screen's key fingerprint");
  assertEqual(await (await session.find("[data-testid=activation-user]")).text(), user, "the confirm screen's user");
  assertEqual(await (await session.find("[data-testid=activation-issuer]")).text(), "E2E MFA", "the confirm screen's issuer");
  await (await session.find("[data-testid=push-activate]")).click();
  await session.until("the activation dialog to close", async () => (await session.findAll("[data-testid=push-activate-dialog]")).length === 0, 20_000);
}

/** Waits for the approval sheet of `app`, picks `number`, approves. */
async function approveInSheet(session, app, number) {
  const sheet = await session.waitFor("[data-testid=sheet-app]", {
    timeout: 30_000,
    predicate: async (e) => (await e.text()) === app,
  });
  assert(sheet, "the sheet shows the app");
  const countdown = await (await session.find("[data-testid=sheet-countdown]")).text();
  assert(/^[12]:\d\d$|^0:[1-5]\d$/.test(countdown), `the sheet counts down from the server's expiry: ${countdown}`);
  const approve = await session.find("[data-testid=sheet-approve]");
  assertEqual(await approve.property("disabled"), true, "Approve waits for the number");
  await (await session.find(`[data-testid=number-${number}]`)).click();
  await approve.click();
  await session.until("the sheet to close", async () => (await session.findAll("[data-testid=approval-sheet]")).length === 0, 15_000);
}

// --- the tests --------------------------------------------------------------------------------
let driver;
let session;
let server;

const tests = [
  ["pasting the activation link shows the server's fingerprint, then the account connects", async () => {
    server.admin("user", "add", "alice", "--first-name", "Alice");
    await session.waitFor("[data-testid=empty-state]");
    const uri = server.newActivation("alice");
    await activateThroughAddDialog(session, uri, "alice");
    const account = await accountIn(session, "connected");
    assertEqual(account.label, "E2E MFA: alice", "the new push account's name");
    assertEqual(account.badge, "Connected", "the state badge");
  }],

  ["a push appears in the sheet, the number is chosen, and the relying party sees it approved", async () => {
    // The page notes when the sheet appears, so the delivery time is not the polling's.
    await session.execute(`
      window.__sheetShownAt = null;
      new MutationObserver((_, observer) => {
        if (document.querySelector('[data-testid=approval-sheet]')) {
          window.__sheetShownAt = Date.now();
          observer.disconnect();
        }
      }).observe(document.body, { childList: true, subtree: true });`);
    const sentAt = Date.now();
    const { id, number } = await server.push("alice", "E2E Intranet");
    const outcome = server.result(id);
    await session.waitFor("[data-testid=approval-sheet]", { timeout: 30_000 });
    const shownAt = await session.until("the sheet's time", () => session.execute("return window.__sheetShownAt"));
    console.log(`        push sent → approval sheet on screen: ${shownAt - sentAt} ms`);
    assertEqual(await (await session.find("[data-testid=sheet-ip]")).text(), "198.51.100.7", "the sign-in's IP address");
    assertEqual(await (await session.find("[data-testid=sheet-location]")).text(), "Lisbon, PT", "the sign-in's location");
    const options = await session.execute(
      "return [...document.querySelectorAll('.sheet__choices .number')].map((b) => Number(b.textContent))",
    );
    assertEqual(options.length, 3, "three numbers to pick from");
    assert(options.includes(number), `the sign-in page's number ${number} is among ${options}`);
    mkdirSync(screenshotDir, { recursive: true });
    writeFileSync(join(screenshotDir, "push-approval-light.png"), await session.screenshot());
    await approveInSheet(session, "E2E Intranet", number);
    assertEqual((await outcome).status, "approved", "the relying party's long-poll result");
    const history = await session.waitFor("[data-testid=push-history]");
    await history.click();
    await session.until("the history to list it", async () => (await history.text()).includes("Approved"));
  }],

  ["a wrong number is denied, and the relying party sees it denied", async () => {
    const { id, number } = await server.push("alice", "E2E Mail");
    const outcome = server.result(id);
    await session.waitFor("[data-testid=approval-sheet]", { timeout: 30_000 });
    const options = await session.execute(
      "return [...document.querySelectorAll('.sheet__choices .number')].map((b) => Number(b.textContent))",
    );
    const wrong = options.find((n) => n !== number);
    await (await session.find(`[data-testid=number-${wrong}]`)).click();
    await (await session.find("[data-testid=sheet-approve]")).click();
    assertEqual((await outcome).status, "denied", "the relying party's result for a wrong number");
    await session.until("the toast to say it was denied", () =>
      session.execute("return document.querySelector('[data-testid=toast]')?.textContent?.includes('denied') ?? false"),
    );
  }],

  ["after a user reset the account shows not activated, and re-adding brings it back in place", async () => {
    const before = await accountIn(session, "connected");
    server.admin("user", "reset", "alice");
    const broken = await accountIn(session, "not_activated", 45_000);
    assert(broken.problem?.startsWith(NOT_ACTIVATED), `the not-activated message: ${broken.problem}`);
    assertEqual(broken.badge, "Not activated", "the state badge");
    await (await session.find("[data-testid=push-readd]")).click();
    const uri = server.newActivation("alice");
    await (await session.waitFor("#activation-uri")).type(uri);
    await (await session.find("[data-testid=activation-continue]")).click();
    await confirmActivation(session, uri, "alice");
    const back = await accountIn(session, "connected");
    assertEqual(back.label, before.label, "the re-added account's name");
    assert(back.deviceId !== before.deviceId, "a new device id");
    assertEqual((await pushAccounts(session)).length, 1, "one push account, in the old one's place");
    const { id, number } = await server.push("alice", "E2E VPN");
    const outcome = server.result(id);
    await approveInSheet(session, "E2E VPN", number);
    assertEqual((await outcome).status, "approved", "the re-added account approves");
  }],

  ["the activation survives a restart of the app and keeps listening", async () => {
    const before = await accountIn(session, "connected");
    await session.quit();
    session = await driver.launch();
    const after = await accountIn(session, "connected");
    assertEqual(after.deviceId, before.deviceId, "the same activation after a restart");
    const { id, number } = await server.push("alice", "E2E Wiki");
    const outcome = server.result(id);
    await approveInSheet(session, "E2E Wiki", number);
    assertEqual((await outcome).status, "approved", "approved after the restart");
  }],
];

// --- runner -----------------------------------------------------------------------------------
await runSuite({
  label: "e2e-push",
  binaries: [
    ["app", appBinary, "cargo build --features custom-protocol --bin countersign-app"],
    ["server", serverBinary, "cargo build -p countersign-server"],
  ],
  tests,
  start: async () => {
    server = await MfaServer.start();
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
