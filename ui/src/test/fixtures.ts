import type { Account } from "../api";

/** An account with sensible defaults, overridden where a test cares. */
export function account(overrides: Partial<Account>): Account {
  return {
    id: overrides.id ?? Math.random().toString(36).slice(2),
    issuer: "Example",
    name: "alice@example.com",
    kind: "totp",
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    counter: null,
    icon: null,
    group: null,
    favourite: false,
    position: 0,
    created: 0,
    lastUsed: null,
    ...overrides,
  };
}
