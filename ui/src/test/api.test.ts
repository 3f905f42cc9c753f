import { mockIPC } from "@tauri-apps/api/mocks";
import { describe, expect, it } from "vitest";
import { api, isCommandError, toCommandError } from "../api";

describe("the invoke wrapper", () => {
  it("sends each command under its shell name with camelCase arguments", async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, payload) => {
      calls.push([cmd, payload]);
      return cmd === "copy_code" ? 30 : null;
    });
    await api.updateAccount("id-1", { issuer: "GitHub", group: null });
    const clearsIn = await api.copyCode("id-1");
    await api.setPassword(null, "correct horse");
    expect(clearsIn).toBe(30);
    expect(calls).toEqual([
      ["update_account", { id: "id-1", patch: { issuer: "GitHub", group: null } }],
      ["copy_code", { id: "id-1" }],
      ["set_password", { current: null, password: "correct horse" }],
    ]);
  });

  it("rejects with the shell's {code, message} error unchanged", async () => {
    mockIPC(() => {
      throw { code: "invalid_input", message: "the secret has an invalid character '1'", field: "secret" };
    });
    await expect(api.addAccountUri("otpauth://totp/x?secret=1")).rejects.toEqual({
      code: "invalid_input",
      message: "the secret has an invalid character '1'",
      field: "secret",
    });
  });

  it("turns any other rejection into an internal CommandError", async () => {
    mockIPC(() => {
      throw "plain string";
    });
    await expect(api.listAccounts()).rejects.toEqual({ code: "internal", message: "plain string" });
    expect(toCommandError(new Error("boom"))).toEqual({ code: "internal", message: "boom" });
  });

  it("recognises only objects with a string code and message as CommandError", () => {
    expect(isCommandError({ code: "io", message: "disk full" })).toBe(true);
    expect(isCommandError({ code: 3, message: "x" })).toBe(false);
    expect(isCommandError(null)).toBe(false);
    expect(isCommandError("io")).toBe(false);
  });
});
