#!/usr/bin/env node
// Benchmarks of what a user feels in the app, under Xvfb with a real Secret Service:
//
// - start to first code: process spawn until the first code is painted (the UI reports it
//   through `mark_first_code`, the app prints it with COUNTERSIGN_BENCH=1). Target ≤ 500 ms.
// - memory after start with 500 accounts: resident set size (RSS) and proportional set size
//   (PSS) of the app process plus its WebKit child processes (web + network). Target ≤ 80 MB.
// - the list with 10,000 accounts: rows in the DOM (virtualised), time from a scroll or a
//   search keystroke to the next painted frame.
//
//   cargo build --features custom-protocol --bin countersign-app --example bench-vault
//   scripts/with-keyring.sh node tests/e2e/bench.mjs
//
// Environment: CARGO_TARGET_DIR, COUNTERSIGN_APP, BENCH_RUNS (start-up runs per size, default 5),
// BENCH_SIZES (account counts, default "500,10000"), BENCH_LIST=0 (skip the list benchmark).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { appBinary, Driver, ensureDisplay, onExit, spawnTracked } from "./harness.mjs";
import { sleep } from "./webdriver.mjs";

const makeVault = join(dirname(appBinary), "examples", "bench-vault");
const runs = Number(process.env.BENCH_RUNS ?? 5);
const sizes = (process.env.BENCH_SIZES ?? "500,10000").split(",").map(Number);
const work = mkdtempSync(join(tmpdir(), "countersign-bench-"));
onExit(() => rmSync(work, { recursive: true, force: true }));

function vaultWith(count) {
  const path = join(work, `vault-${count}.csv1`);
  if (!existsSync(path)) execFileSync(makeVault, [path, String(count)], { stdio: "ignore" });
  return path;
}

/** Starts the app on `vault`; resolves with the ms from spawn to first code, and the process. */
async function startOnce(vault) {
  const t0 = Date.now();
  const child = spawnTracked(appBinary, [], {
    env: { ...process.env, COUNTERSIGN_VAULT: vault, COUNTERSIGN_BENCH: "1", NO_AT_BRIDGE: "1" },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const firstCode = await new Promise((resolveMark, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("no first code within 30 s")), 30_000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/first-code-visible unix_ms=(\d+) since_main_ms=(\d+)/);
      if (m) {
        clearTimeout(timer);
        const steps = new Map();
        for (const [, name, at] of out.matchAll(/startup-mark (\S+) unix_ms=([\d.]+)/g)) {
          if (!steps.has(name)) steps.set(name, Number(at) - t0);
        }
        resolveMark({ total: Number(m[1]) - t0, sinceMain: Number(m[2]), steps });
      }
    });
    child.once("exit", (code) => reject(new Error(`the app exited (${code}) before showing a code`)));
  });
  return { ...firstCode, child };
}

function descendants(pid) {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    const tasks = `/proc/${all[i]}/task`;
    if (!existsSync(tasks)) continue;
    for (const task of readdirSync(tasks)) {
      try {
        const children = readFileSync(`${tasks}/${task}/children`, "utf8").trim();
        if (children) all.push(...children.split(/\s+/).map(Number));
      } catch {
        // the task ended
      }
    }
  }
  return all;
}

function memory(pid) {
  const processes = descendants(pid).map((p) => {
    const field = (file, name) => {
      try {
        const m = readFileSync(`/proc/${p}/${file}`, "utf8").match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
        return m ? Number(m[1]) / 1024 : 0;
      } catch {
        return 0;
      }
    };
    let name = "?";
    try {
      name = readFileSync(`/proc/${p}/comm`, "utf8").trim();
    } catch {
      // gone
    }
    return { pid: p, name, rss: field("status", "VmRSS"), pss: field("smaps_rollup", "Pss") };
  });
  const sum = (k) => processes.reduce((s, p) => s + p[k], 0);
  return { processes, rss: sum("rss"), pss: sum("pss") };
}

function stop(child) {
  return new Promise((r) => {
    if (child.exitCode !== null) return r();
    child.once("exit", r);
    child.kill("SIGTERM");
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (x) => `${x.toFixed(1)} MB`;

async function main() {
  for (const path of [appBinary, makeVault]) {
    if (!existsSync(path)) throw new Error(`not built: ${path} (cargo build --features custom-protocol --bin countersign-app --example bench-vault)`);
  }
  await ensureDisplay();
  console.log(`bench: app ${appBinary}, display ${process.env.DISPLAY}, ${runs} runs per size`);

  for (const count of sizes) {
    const vault = vaultWith(count);
    const totals = [];
    const sinceMain = [];
    const steps = [];
    let mem;
    for (let run = 0; run < runs; run++) {
      const { total, sinceMain: s, steps: runSteps, child } = await startOnce(vault);
      totals.push(total);
      sinceMain.push(s);
      steps.push(runSteps);
      if (run === 0) {
        await sleep(2000);
        mem = memory(child.pid);
      }
      await stop(child);
    }
    console.log(
      `start-to-first-code accounts=${count}: median ${median(totals)} ms (min ${Math.min(...totals)}, max ${Math.max(...totals)}); ` +
        `from the shell's setup ${median(sinceMain)} ms; runs (total/from setup): ${totals.map((t, i) => `${t}/${sinceMain[i]}`).join(", ")}`,
    );
    // Where the time goes: each start-up step in ms after spawn, one column per run.
    const names = [...new Set(steps.flatMap((run) => [...run.keys()]))].sort(
      (a, b) => median(steps.map((r) => r.get(a) ?? Infinity)) - median(steps.map((r) => r.get(b) ?? Infinity)),
    );
    console.log(`start-up steps accounts=${count} (ms after spawn, runs in order):`);
    for (const name of names) {
      console.log(`  ${name.padEnd(34)} ${steps.map((r) => String(Math.round(r.get(name) ?? NaN)).padStart(6)).join("")}`);
    }
    console.log(
      `memory-after-start accounts=${count}: RSS sum ${mb(mem.rss)}, PSS sum ${mb(mem.pss)} (` +
        mem.processes.map((p) => `${p.name} ${mb(p.rss)} rss/${mb(p.pss)} pss`).join("; ") +
        ")",
    );
  }

  if (process.env.BENCH_LIST === "0") return;
  // The list with 10,000 accounts, driven through WebDriver.
  const driver = await Driver.start(appBinary, { COUNTERSIGN_VAULT: vaultWith(10_000) });
  const session = await driver.launch();
  await session.until("codes", () => session.execute("return document.querySelectorAll('[data-code]:not([data-code=\"\"])').length > 0"), 30_000);
  const result = await session.executeAsync(`
    const done = arguments[arguments.length - 1];
    const frame = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    (async () => {
      const list = document.querySelector('.list');
      const scroll = [];
      for (let i = 0; i < 40; i++) {
        const t = performance.now();
        list.scrollTop = Math.floor(Math.random() * (list.scrollHeight - list.clientHeight));
        list.dispatchEvent(new Event('scroll'));
        await frame();
        scroll.push(performance.now() - t);
      }
      const rowsInDom = document.querySelectorAll('.row').length;
      const search = document.getElementById('search');
      const typing = [];
      for (const text of ['g', 'gi', 'git', 'gith', 'user12', 'user123', '']) {
        const t = performance.now();
        search.value = text;
        search.dispatchEvent(new Event('input', { bubbles: true }));
        await frame();
        typing.push(performance.now() - t);
      }
      done({ scroll, rowsInDom, typing });
    })();`);
  const stats = (xs) => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  console.log(`list accounts=10000: ${result.rowsInDom} rows in the DOM; scroll to paint ${stats(result.scroll)}; search keystroke to paint ${stats(result.typing)}`);
  await session.quit();
  await driver.stop();
}

main().catch((e) => {
  console.error(`bench: ${e.stack ?? e}`);
  process.exit(1);
});
