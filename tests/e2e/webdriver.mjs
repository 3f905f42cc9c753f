// A small W3C WebDriver client over fetch: just what the end-to-end suite needs to drive the app
// through tauri-driver (which forwards to WebKitWebDriver, which drives the app's WebKitGTK).

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

/** Keys for `Session.keys` (WebDriver's Unicode private-use code points). */
export const Key = {
  Enter: "\uE007",
  Escape: "\uE00C",
  Tab: "\uE004",
  Delete: "\uE017",
  Backspace: "\uE003",
  ArrowDown: "\uE015",
  ArrowUp: "\uE013",
  Control: "\uE009",
};

export class WebDriverError extends Error {}

async function request(base, method, path, body) {
  const response = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WebDriverError(`${method} ${path}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  if (!response.ok || (json.value && json.value.error)) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${v.error ?? response.status}: ${v.message ?? text.slice(0, 300)}`);
  }
  return json.value;
}

/** A WebDriver session: one run of the app. */
export class Session {
  /** Starts the app at `application` through the driver at `base` (http://127.0.0.1:4444). */
  static async start(base, application, args = []) {
    const value = await request(base, "POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application, args } } },
    });
    return new Session(base, value.sessionId);
  }

  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  /** Ends the session; the app exits. */
  async quit() {
    try {
      await this.cmd("DELETE", "");
    } catch {
      // The app may already be gone.
    }
  }

  /** Runs `script` (a function body) in the page and returns its result. */
  execute(script, ...args) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Runs an async script; the last argument is the callback to call with the result. */
  executeAsync(script, ...args) {
    return this.cmd("POST", "/execute/async", { script, args });
  }

  async find(css) {
    const value = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return new Element(this, value[ELEMENT]);
  }

  async findAll(css) {
    const values = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return values.map((v) => new Element(this, v[ELEMENT]));
  }

  /** Waits until `css` matches an element (and `predicate(element)` holds, if given). */
  async waitFor(css, { timeout = 10_000, predicate } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      try {
        const element = await this.find(css);
        if (!predicate || (await predicate(element))) return element;
      } catch (e) {
        last = e;
      }
      await sleep(100);
    }
    throw new WebDriverError(`timed out waiting for ${css}${last ? ` (${last.message})` : ""}`);
  }

  /** Waits until `check()` resolves truthy; returns its value. */
  async until(what, check, timeout = 10_000) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      try {
        const value = await check();
        if (value) return value;
      } catch (e) {
        last = e;
      }
      await sleep(100);
    }
    throw new WebDriverError(`timed out waiting for ${what}${last ? ` (${last.message})` : ""}`);
  }

  /** Types keys into whatever has focus (the Actions API), like a person at the keyboard. */
  async keys(...sequence) {
    const actions = [];
    for (const item of sequence) {
      if (Array.isArray(item)) {
        // A chord: press all, release in reverse.
        for (const k of item) actions.push({ type: "keyDown", value: k });
        for (const k of [...item].reverse()) actions.push({ type: "keyUp", value: k });
      } else {
        for (const ch of item) actions.push({ type: "keyDown", value: ch }, { type: "keyUp", value: ch });
      }
    }
    await this.cmd("POST", "/actions", { actions: [{ type: "key", id: "keyboard", actions }] });
    await this.cmd("DELETE", "/actions");
  }

  /** A PNG screenshot of the webview, as a Buffer. */
  async screenshot() {
    return Buffer.from(await this.cmd("GET", "/screenshot"), "base64");
  }

  /** Calls a shell command through the page's Tauri IPC. */
  async invoke(command, args = {}) {
    const result = await this.executeAsync(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])
         .then((value) => done({ ok: value }), (error) => done({ error }));`,
      command,
      args,
    );
    if (result && "error" in result) throw new WebDriverError(`${command}: ${JSON.stringify(result.error)}`);
    return result?.ok;
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }
  cmd(method, path, body) {
    return this.session.cmd(method, `/element/${this.id}${path}`, body);
  }
  click() {
    return this.cmd("POST", "/click", {});
  }
  text() {
    return this.cmd("GET", "/text");
  }
  attribute(name) {
    return this.cmd("GET", `/attribute/${name}`);
  }
  property(name) {
    return this.cmd("GET", `/property/${name}`);
  }
  displayed() {
    return this.cmd("GET", "/displayed");
  }
  clear() {
    return this.cmd("POST", "/clear", {});
  }
  type(text) {
    return this.cmd("POST", "/value", { text });
  }
  /** Focuses the element through the page (rows are focusable but not text fields). */
  focus() {
    return this.session.execute("arguments[0].focus();", { [ELEMENT]: this.id });
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
