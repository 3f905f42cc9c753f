// Push sign-in approvals on the UI side: the state the shell's events keep current, and the
// wording of states, countdowns and outcomes (pure functions, tested on their own).
import { useCallback, useEffect, useState } from "preact/hooks";
import {
  api,
  type PushAccount,
  type PushChallenge,
  type PushDecision,
  type PushHistoryEntry,
  type PushOutcome,
  type PushSnapshot,
  type PushState,
  toCommandError,
} from "./api";

/** The scheme of an activation link (`countersign://activate?...`). */
export const ACTIVATION_PREFIX = "countersign://activate";

/** Whether pasted text is a push activation link rather than an otpauth:// account. */
export function isActivationUri(text: string): boolean {
  return text.trim().toLowerCase().startsWith(ACTIVATION_PREFIX);
}

/** Whole seconds left until `expiresAtMs` at `nowMs` (never negative). */
export function secondsLeft(expiresAtMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((expiresAtMs - nowMs) / 1000));
}

/** `m:ss` for a countdown. */
export function formatCountdown(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** How a state badge reads and looks. */
export interface StateBadge {
  text: string;
  tone: "ok" | "busy" | "warn" | "error";
  /** More detail, for the tooltip or the line under the account. */
  detail?: string;
}

/** The badge of a push account's connection at `nowMs`. */
export function stateBadge(state: PushState, nowMs: number): StateBadge {
  switch (state.state) {
    case "connected":
      return { text: "Connected", tone: "ok" };
    case "connecting":
      return { text: "Connecting…", tone: "busy" };
    case "reconnecting": {
      const seconds = secondsLeft(state.retryAtMs, nowMs);
      return {
        text: seconds > 0 ? `Reconnecting in ${seconds} s` : "Reconnecting…",
        tone: "warn",
        detail: state.message,
      };
    }
    case "not_activated":
      return { text: "Not activated", tone: "error", detail: state.message };
    case "damaged":
      return { text: "Damaged", tone: "error", detail: state.message };
    case "stopped":
      return { text: "Not listening", tone: "warn" };
  }
}

/** How a finished request reads in the history. */
export function outcomeText(outcome: PushOutcome): string {
  switch (outcome) {
    case "approved":
      return "Approved";
    case "denied":
      return "Denied";
    case "fraud":
      return "Reported as fraud";
    case "expired":
      return "Expired";
    case "replaced":
      return "Replaced by a newer request";
    case "answered":
      return "Answered earlier";
    case "pending":
      return "Waiting";
  }
}

/** Local time of a Unix-seconds instant, `HH:MM:SS`. */
export function formatTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":");
}

const EMPTY: PushSnapshot = { accounts: [], pending: [], history: [] };

/** An activation dialog to show: a link to confirm (or to paste), maybe in place of an account. */
export interface ActivationRequest {
  uri: string;
  replace: PushAccount | null;
}

/** What `usePush` gives the window. */
export interface Push {
  snapshot: PushSnapshot;
  /** The request the approval sheet shows (the oldest pending one the user has not put aside). */
  current: PushChallenge | null;
  /** Puts the sheet away until the next new request (the request stays pending). */
  dismiss: () => void;
  /** Opens the sheet on a pending request again. */
  open: (id: string) => void;
  /** Answers a request; resolves to how it ended (a wrong number ends as `denied`). */
  answer: (id: string, decision: PushDecision, number: number | null) => Promise<PushHistoryEntry>;
  activation: ActivationRequest | null;
  startActivation: (uri?: string, replace?: PushAccount | null) => void;
  endActivation: () => void;
  refresh: () => Promise<void>;
}

/**
 * The push state while `active` (the vault is open): the first snapshot from `push_accounts`
 * (which starts the listeners), then every `push:snapshot` event. A shell without push (an
 * older one, or a test double) leaves the snapshot empty.
 */
export function usePush(active: boolean): Push {
  const [snapshot, setSnapshot] = useState<PushSnapshot>(EMPTY);
  const [dismissed, setDismissed] = useState<Set<string>>(new Set());
  const [focus, setFocus] = useState<string | null>(null);
  const [activation, setActivation] = useState<ActivationRequest | null>(null);

  const refresh = useCallback(async () => {
    try {
      setSnapshot(await api.pushAccounts());
    } catch {
      // Locked, or no push in this shell: nothing to show.
    }
  }, []);

  useEffect(() => {
    if (!active) return;
    let live = true;
    const stops: Array<() => void> = [];
    const keep = (stop: () => void) => (live ? stops.push(stop) : stop());
    api
      .onPushSnapshot((s) => setSnapshot(s))
      .then(keep)
      .catch(() => undefined);
    api
      .onPushChallenge((c) => {
        // A new request always comes to the front, even after the sheet was put away.
        setDismissed((d) => {
          const next = new Set(d);
          next.delete(c.id);
          return next;
        });
        setFocus(c.id);
      })
      .then(keep)
      .catch(() => undefined);
    void refresh();
    return () => {
      live = false;
      stops.forEach((stop) => stop());
    };
  }, [active, refresh]);

  const waiting = snapshot.pending.filter((c) => !dismissed.has(c.id));
  const current = waiting.find((c) => c.id === focus) ?? waiting[0] ?? null;

  const answer = useCallback(async (id: string, decision: PushDecision, number: number | null) => {
    try {
      return await api.pushAnswer(id, decision, number);
    } finally {
      // The answer (or the refusal) changed the pending list either way.
      try {
        setSnapshot(await api.pushAccounts());
      } catch {
        // keep what we have
      }
    }
  }, []);

  return {
    snapshot,
    current,
    dismiss: () => current && setDismissed((d) => new Set(d).add(current.id)),
    open: (id) => {
      setDismissed((d) => {
        const next = new Set(d);
        next.delete(id);
        return next;
      });
      setFocus(id);
    },
    answer,
    activation,
    startActivation: (uri = "", replace = null) => setActivation({ uri, replace }),
    endActivation: () => setActivation(null),
    refresh,
  };
}

/** A rejection's message, for callers that show it. */
export function errorMessage(e: unknown): string {
  return toCommandError(e).message;
}
