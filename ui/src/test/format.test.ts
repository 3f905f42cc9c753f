import { describe, expect, it } from "vitest";
import { account } from "./fixtures";
import { filterAccounts, groupCode, groupsOf, hueFor, initials, moveId, secondsLeft, sortAccounts } from "../format";

describe("groupCode", () => {
  it("splits codes into groups that are easy to read aloud", () => {
    expect(groupCode("123456")).toBe("123 456");
    expect(groupCode("1234567")).toBe("123 4567");
    expect(groupCode("12345678")).toBe("1234 5678");
    expect(groupCode("123456789")).toBe("123 456 789");
    expect(groupCode("1234567890")).toBe("12345 67890");
  });
  it("leaves Steam codes whole", () => {
    expect(groupCode("2KTDV")).toBe("2KTDV");
  });
});

describe("initials", () => {
  it("takes the first letters of the first two words of the issuer", () => {
    expect(initials("Proton Mail", "me")).toBe("PM");
    expect(initials("github", "me")).toBe("G");
  });
  it("falls back to the account name, then to a question mark", () => {
    expect(initials("", "bob@example.com")).toBe("BE");
    expect(initials(" ", " ")).toBe("?");
  });
  it("gives an issuer the same hue every time, whatever its case", () => {
    expect(hueFor("GitHub")).toBe(hueFor("github"));
    expect(hueFor("GitHub")).toBeGreaterThanOrEqual(0);
    expect(hueFor("GitHub")).toBeLessThan(360);
  });
});

describe("filterAccounts", () => {
  const list = [
    account({ id: "a", issuer: "GitHub", name: "alice", group: "Work" }),
    account({ id: "b", issuer: "Google", name: "alice@gmail.com" }),
    account({ id: "c", issuer: "Proton", name: "bob", group: "Home" }),
  ];
  it("matches every word against issuer, name and group, ignoring case", () => {
    expect(filterAccounts(list, "git", null).map((a) => a.id)).toEqual(["a"]);
    expect(filterAccounts(list, "ALICE g", null).map((a) => a.id)).toEqual(["a", "b"]);
    expect(filterAccounts(list, "home", null).map((a) => a.id)).toEqual(["c"]);
    expect(filterAccounts(list, "nothing", null)).toEqual([]);
  });
  it("keeps only the chosen group", () => {
    expect(filterAccounts(list, "", "Work").map((a) => a.id)).toEqual(["a"]);
    expect(groupsOf(list)).toEqual(["Home", "Work"]);
  });
});

describe("sortAccounts", () => {
  const list = [
    account({ id: "z", issuer: "Zulip", name: "b", position: 0, lastUsed: 10 }),
    account({ id: "a", issuer: "amazon", name: "c", position: 1, lastUsed: 30 }),
    account({ id: "m", issuer: "Mastodon", name: "a", position: 2, favourite: true }),
  ];
  it("pins favourites first in every order", () => {
    for (const order of ["custom", "issuer", "account", "lastUsed"] as const) {
      expect(sortAccounts(list, order)[0]!.id).toBe("m");
    }
  });
  it("orders by position, issuer, account name or most recent use", () => {
    expect(sortAccounts(list, "custom").map((a) => a.id)).toEqual(["m", "z", "a"]);
    expect(sortAccounts(list, "issuer").map((a) => a.id)).toEqual(["m", "a", "z"]);
    expect(sortAccounts(list, "account").map((a) => a.id)).toEqual(["m", "z", "a"]);
    expect(sortAccounts(list, "lastUsed").map((a) => a.id)).toEqual(["m", "a", "z"]);
  });
});

describe("small helpers", () => {
  it("counts whole seconds left and never goes negative", () => {
    expect(secondsLeft(1030, 1_000_000)).toBe(30);
    expect(secondsLeft(1030, 1_029_100)).toBe(1);
    expect(secondsLeft(1030, 1_040_000)).toBe(0);
  });
  it("moves an id and ignores out-of-range moves", () => {
    expect(moveId(["a", "b", "c"], 0, 2)).toEqual(["b", "c", "a"]);
    expect(moveId(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
    expect(moveId(["a", "b"], 0, 5)).toEqual(["a", "b"]);
  });
});
