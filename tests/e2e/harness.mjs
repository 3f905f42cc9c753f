// What the end-to-end suite and the benchmarks share: an X display, tauri-driver with the app's
// environment, and cleanup of every process started here.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { Session, sleep } from "./webdriver.mjs";

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
