// What the end-to-end suite and the benchmarks share: an X display, tauri-driver with the app's
// environment, and cleanup of every process started here.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Session, sleep } from "./webdriver.mjs";

/** The repository, the binaries the suites run, and where screenshots go. */
export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const target = process.env.CARGO_TARGET_DIR ?? join(root, "target");
/** A debug binary of the target folder, unless `envName` names another. */
export const binary = (envName, name) => process.env[envName] ?? join(target, "debug", name);
export const appBinary = binary("COUNTERSIGN_APP", "countersign-app");
export const screenshotDir = process.env.E2E_SCREENSHOTS ?? join(root, "docs", "screenshots");
export const failureDir = join(root, "test-output", "e2e");

/** A test that cannot run here (a tool is missing); counted apart from failures. */
export class Pending extends Error {}

const children = [];
const exitHooks = [];

/** Runs `hook` when the process exits (after the children are stopped). */
export function onExit(hook) {
  exitHooks.push(hook);
}

/** Starts `command` and stops it when this process exits. */
export function spawnTracked(command, args, options) {
  const child = spawn(command, args, options);
  children.push(child);
  return child;
}

process.on("exit", () => {
  for (const child of children.reverse()) {
    if (child.exitCode === null) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
  }
  for (const hook of exitHooks) hook();
});
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

function which(name) {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Uses $DISPLAY, or starts Xvfb on a free display and sets $DISPLAY. */
export async function ensureDisplay() {
  if (process.env.DISPLAY) return;
  for (let n = 90; n < 130; n++) {
    if (existsSync(`/tmp/.X11-unix/X${n}`) || existsSync(`/tmp/.X${n}-lock`)) continue;
    spawnTracked("Xvfb", [`:${n}`, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: "ignore" });
    for (let i = 0; i < 50 && !existsSync(`/tmp/.X11-unix/X${n}`); i++) await sleep(100);
    process.env.DISPLAY = `:${n}`;
    return;
  }
  throw new Error("no free X display for Xvfb");
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** tauri-driver with the app's environment (the app inherits it through WebKitWebDriver). */
export class Driver {
  static async start(application, env = {}) {
    const cargoBin = join(process.env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin", "tauri-driver");
    const binary = process.env.TAURI_DRIVER ?? which("tauri-driver") ?? cargoBin;
    if (!existsSync(binary)) throw new Error("tauri-driver not found (cargo install tauri-driver --locked)");
    const port = await freePort();
    const nativePort = await freePort();
    const child = spawnTracked(binary, ["--port", String(port), "--native-port", String(nativePort)], {
      env: { ...process.env, NO_AT_BRIDGE: "1", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    child.stderr.on("data", (d) => (log = (log + d).slice(-4000)));
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`${base}/status`);
        if (r.ok) return new Driver(child, base, application);
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error(`tauri-driver exited: ${log}`);
      await sleep(100);
    }
    throw new Error(`tauri-driver did not start: ${log}`);
  }

  constructor(child, base, application) {
    this.child = child;
    this.base = base;
    this.application = application;
  }

  /** Starts the app in a new session and waits for its first screen. */
  async launch() {
    const session = await Session.start(this.base, this.application);
    await session.until(
      "the app to render",
      () => session.execute("return !!document.querySelector('.app, .lock, .empty, [role=alert]')"),
      20_000,
    );
    return session;
  }

  async stop() {
    if (this.child.exitCode !== null) return;
    this.child.kill("SIGTERM");
    await new Promise((r) => this.child.once("exit", r));
  }
}

/**
 * Runs a suite: checks that `binaries` (`[what, path, how to build]`) exist and that a D-Bus
 * session is there, starts the display, calls `start()`, runs each `[name, fn]` of `tests`
 * (filtered by E2E_ONLY), saves `screenshot()` of every failure, calls `stop()`, prints
 * `N passed, N failed` and exits non-zero on any failure.
 */
export async function runSuite({ label, binaries, tests, start, stop, screenshot }) {
  const fail = (message) => {
    console.error(`${label}: ${message}`);
    console.log("0 passed, 1 failed");
    process.exit(1);
  };
  try {
    for (const [what, path, hint] of binaries) {
      if (!existsSync(path)) fail(`the ${what} is not built: ${path} (${hint})`);
    }
    if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
      fail("no D-Bus session: run inside scripts/with-keyring.sh (a real Secret Service)");
    }
    await ensureDisplay();
    mkdirSync(failureDir, { recursive: true });
    await start();

    const only = process.env.E2E_ONLY;
    let passed = 0;
    let failed = 0;
    let pending = 0;
    for (const [name, run] of tests) {
      if (only && !name.includes(only)) continue;
      const t0 = Date.now();
      try {
        await run();
        passed++;
        console.log(`ok      ${name} (${Date.now() - t0} ms)`);
      } catch (e) {
        if (e instanceof Pending) {
          pending++;
          console.log(`pending ${name}: ${e.message}`);
          continue;
        }
        failed++;
        console.log(`FAILED  ${name}: ${e.message}`);
        try {
          writeFileSync(join(failureDir, `${label}-${name.replace(/\W+/g, "-")}.png`), await screenshot());
        } catch {
          // no screenshot then
        }
      }
    }
    await stop();
    console.log(`${passed} passed, ${failed} failed${pending ? `, ${pending} pending` : ""}`);
    process.exit(failed ? 1 : 0);
  } catch (e) {
    fail(e.stack ?? String(e));
  }
}
