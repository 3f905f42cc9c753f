// Pure helpers for what the list shows: no DOM, no Tauri, so they are tested directly.
import type { Account, SortOrder } from "./api";

/** Splits a code into groups people read aloud: `123 456`, `1234 5678`, `123 4567`; Steam codes stay whole. */
export function groupCode(code: string): string {
  if (!/^\d+$/.test(code) || code.length < 6) return code;
  const half = code.length % 2 === 0 ? code.length / 2 : Math.floor(code.length / 2);
  if (code.length === 6 || code.length === 7) return `${code.slice(0, 3)} ${code.slice(3)}`;
  if (code.length === 9) return `${code.slice(0, 3)} ${code.slice(3, 6)} ${code.slice(6)}`;
  return `${code.slice(0, half)} ${code.slice(half)}`;
}

/** Up to two letters for an issuer without an icon: "GitHub" → "G", "Proton Mail" → "PM". */
export function initials(issuer: string, name: string): string {
  const source = issuer.trim() || name.trim();
  if (!source) return "?";
  const words = source.split(/[\s._@-]+/).filter((w) => w.length > 0);
  const letters = words.length > 1 ? [words[0]!, words[1]!].map((w) => firstLetter(w)) : [firstLetter(source)];
  return letters.join("").toUpperCase();
}

function firstLetter(word: string): string {
  return Array.from(word)[0] ?? "?";
}

/** A stable hue (0-359) for an issuer, so its initials keep their colour between runs. */
export function hueFor(text: string): number {
  let hash = 0;
  for (const ch of text.toLowerCase()) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return hash % 360;
}

/** Keeps accounts whose issuer, name or group contain every word of the query (case-insensitive). */
export function filterAccounts(accounts: readonly Account[], query: string, group: string | null): Account[] {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  return accounts.filter((a) => {
    if (group !== null && a.group !== group) return false;
    if (words.length === 0) return true;
    const haystack = `${a.issuer}\n${a.name}\n${a.group ?? ""}`.toLowerCase();
    return words.every((w) => haystack.includes(w));
  });
}

/** Orders accounts: favourites first, then by the chosen order (ties broken by custom position). */
export function sortAccounts(accounts: readonly Account[], order: SortOrder): Account[] {
  const byText = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: "base" });
  const compare = (a: Account, b: Account): number => {
    if (a.favourite !== b.favourite) return a.favourite ? -1 : 1;
    let result = 0;
    switch (order) {
      case "issuer":
        result = byText(a.issuer, b.issuer) || byText(a.name, b.name);
        break;
      case "account":
        result = byText(a.name, b.name) || byText(a.issuer, b.issuer);
        break;
      case "lastUsed":
        result = (b.lastUsed ?? -1) - (a.lastUsed ?? -1);
        break;
      case "custom":
        break;
    }
    return result || a.position - b.position;
  };
  return [...accounts].sort(compare);
}

/** The distinct groups, sorted, for the filter chips. */
export function groupsOf(accounts: readonly Account[]): string[] {
  const groups = new Set<string>();
  for (const a of accounts) if (a.group) groups.add(a.group);
  return [...groups].sort((a, b) => a.localeCompare(b));
}

/** Whole seconds left until `validUntil` (unix seconds), never below zero. */
export function secondsLeft(validUntil: number, nowMs: number): number {
  return Math.max(0, Math.ceil(validUntil - nowMs / 1000));
}

/** Moves the item at `from` to `to` in a copy of `ids`. */
export function moveId(ids: readonly string[], from: number, to: number): string[] {
  const result = [...ids];
  if (from < 0 || from >= result.length || to < 0 || to >= result.length) return result;
  const [moved] = result.splice(from, 1);
  result.splice(to, 0, moved!);
  return result;
}
