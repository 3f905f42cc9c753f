import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, DEFAULT_SETTINGS, type Account, type CodeWindow, type Settings, type SortOrder, toCommandError, type VaultState } from "./api";
import { filterAccounts, groupsOf, moveId, sortAccounts } from "./format";
import { AccountList, focusActiveRow } from "./components/AccountList";
import { AddAccountDialog, pastedImage } from "./components/AddAccountDialog";
import { BackupReminder } from "./components/BackupReminder";
import { useBackupStatus } from "./backup";
import { EditAccountDialog } from "./components/EditAccountDialog";
import { EmptyState, NoMatches } from "./components/EmptyState";
import { ImportDialog } from "./components/ImportDialog";
import { LockScreen } from "./components/LockScreen";
import { RemoveAccountDialog } from "./components/RemoveAccountDialog";
import { isImagePath, type ScanInput } from "./components/ScanPanel";
import { SettingsPanel } from "./components/SettingsPanel";
import { GroupFilter, Toolbar } from "./components/Toolbar";
import { PushSection } from "./components/PushAccounts";
import { usePush } from "./push";

type Screen = "loading" | "locked" | "accounts" | "settings" | "failed";
type Dialog = { kind: "add"; scan?: ScanInput } | { kind: "import"; path: string } | { kind: "edit"; account: Account } | { kind: "remove"; account: Account } | null;

/** How long a toast stays on screen. */
const TOAST_MS = 3500;

/** Rows whose codes are fetched with the list when the vault opens (a tall window's worth). */
const FIRST_SCREEN_ROWS = 20;

/** The whole app: lock screen, account list with its dialogs, and settings. */
export function App() {
  const [screen, setScreen] = useState<Screen>("loading");
  const [failure, setFailure] = useState("");
  const [vault, setVault] = useState<VaultState>({ unlocked: false, hasPassword: false, path: "" });
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [windows, setWindows] = useState<Map<string, CodeWindow>>(new Map());
  const [hotpCodes, setHotpCodes] = useState<Map<string, string>>(new Map());
  const [query, setQuery] = useState("");
  const [group, setGroup] = useState<string | null>(null);
  const [dialog, setDialog] = useState<Dialog>(null);
  const [toast, setToast] = useState<{ text: string; error: boolean; key: number } | null>(null);
  const nowMs = useNow();
  const search = useRef<HTMLInputElement>(null);
  const visibleIds = useRef<string[]>([]);
  const fetching = useRef(new Set<string>());
  const firstCodeMarked = useRef(false);
  const push = usePush(screen === "accounts");
  const [backup, setBackup] = useBackupStatus(screen === "accounts");
  const [backupDismissedAt, setBackupDismissedAt] = useState<number | null>(null);
  const [backingUp, setBackingUp] = useState(false);

  const notify = useCallback((text: string, error = false) => setToast({ text, error, key: Date.now() }), []);
  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast]);

  const openVault = useCallback(async (order: SortOrder) => {
    const list = await api.listAccounts();
    if (!firstCodeMarked.current) performance.mark("accounts-listed");
    // The codes of the first screenful come before the list is shown, so its first frame (the
    // slow one, in a fresh webview) already has them.
    const firstScreen = sortAccounts(list, order)
      .slice(0, FIRST_SCREEN_ROWS)
      .filter((a) => a.kind !== "hotp")
      .map((a) => a.id);
    const fresh = firstScreen.length > 0 ? await api.codes(firstScreen).catch(() => []) : [];
    if (!firstCodeMarked.current) performance.mark("codes-fetched");
    setWindows(new Map(fresh.map((w) => [w.id, w])));
    setAccounts(list);
    setScreen("accounts");
  }, []);

  useEffect(() => {
    (async () => {
      try {
        const [state, prefs] = await Promise.all([api.vaultState(), api.settings()]);
        performance.mark("vault-state");
        setVault(state);
        setSettings(prefs);
        if (state.unlocked) await openVault(prefs.sortOrder);
        else setScreen("locked");
      } catch (e) {
        setFailure(toCommandError(e).message);
        setScreen("failed");
      }
    })();
  }, [openVault]);

  const lock = useCallback(async () => {
    try {
      setVault(await api.lock());
    } catch (e) {
      notify(toCommandError(e).message, true);
      return;
    }
    setAccounts([]);
    setWindows(new Map());
    setHotpCodes(new Map());
    setDialog(null);
    setScreen("locked");
  }, [notify]);

  useIdleLock(screen !== "locked" && vault.hasPassword ? settings.lockAfterMinutes : 0, lock);

  // An image dropped on the window, or pasted on the account list, is scanned for QR codes.
  useEffect(() => {
    if (screen !== "accounts") return;
    let unlisten: (() => void) | undefined;
    let gone = false;
    api
      .onFilesDropped((paths) => {
        // An image is scanned for QR codes; any other file is offered for import.
        const path = paths[0];
        if (path) setDialog(isImagePath(path) ? { kind: "add", scan: { kind: "file", path } } : { kind: "import", path });
      })
      .then((stop) => (gone ? stop() : (unlisten = stop)))
      .catch(() => undefined);
    return () => {
      gone = true;
      unlisten?.();
    };
  }, [screen]);
  useEffect(() => {
    if (screen !== "accounts" || dialog) return;
    const onPaste = (event: ClipboardEvent) => {
      const file = pastedImage(event);
      if (!file) return;
      event.preventDefault();
      void file.arrayBuffer().then((buffer) =>
        setDialog({ kind: "add", scan: { kind: "bytes", bytes: new Uint8Array(buffer), what: "the pasted image" } }),
      );
    };
    window.addEventListener("paste", onPaste);
    return () => window.removeEventListener("paste", onPaste);
  }, [screen, dialog]);

  const shown = useMemo(
    () => sortAccounts(filterAccounts(accounts, query, group), settings.sortOrder),
    [accounts, query, group, settings.sortOrder],
  );
  const groups = useMemo(() => groupsOf(accounts), [accounts]);
  const byId = useMemo(() => new Map(accounts.map((a) => [a.id, a])), [accounts]);

  // Fetch codes for the rows on screen whose code is missing or expired.
  const refreshCodes = useCallback(() => {
    const nowSeconds = Date.now() / 1000;
    const due = visibleIds.current.filter((id) => {
      const account = byId.get(id);
      if (!account || account.kind === "hotp" || fetching.current.has(id)) return false;
      const current = windows.get(id);
      return !current || current.validUntil <= nowSeconds;
    });
    if (due.length === 0) return;
    due.forEach((id) => fetching.current.add(id));
    api
      .codes(due)
      .then((fresh) =>
        setWindows((old) => {
          const merged = new Map(old);
          for (const w of fresh) merged.set(w.id, w);
          return merged;
        }),
      )
      .catch((e: unknown) => notify(toCommandError(e).message, true))
      .finally(() => due.forEach((id) => fetching.current.delete(id)));
  }, [byId, windows, notify]);

  useEffect(refreshCodes, [nowMs, refreshCodes]);

  useEffect(() => {
    if (firstCodeMarked.current || windows.size === 0 || screen !== "accounts") return;
    firstCodeMarked.current = true;
    performance.mark("codes-rendered");
    requestAnimationFrame(() => void api.markFirstCode().catch(() => undefined));
  }, [windows, screen]);

  const onVisibleChange = useCallback(
    (ids: string[]) => {
      visibleIds.current = ids;
      refreshCodes();
    },
    [refreshCodes],
  );

  const replaceAccount = (updated: Account) => setAccounts((all) => all.map((a) => (a.id === updated.id ? updated : a)));

  const nextHotp = async (account: Account): Promise<string | undefined> => {
    try {
      const code = await api.nextHotp(account.id);
      setHotpCodes((old) => new Map(old).set(account.id, code));
      replaceAccount({ ...account, counter: (account.counter ?? 0) + 1 });
      return code;
    } catch (e) {
      notify(toCommandError(e).message, true);
      return undefined;
    }
  };

  const copy = async (account: Account) => {
    try {
      if (account.kind === "hotp" && !hotpCodes.has(account.id) && !(await nextHotp(account))) return;
      const clearsIn = await api.copyCode(account.id);
      const service = account.issuer || account.name;
      notify(clearsIn > 0 ? `Copied the ${service} code · clipboard clears in ${clearsIn} s` : `Copied the ${service} code`);
      setAccounts((all) => all.map((a) => (a.id === account.id ? { ...a, lastUsed: Math.floor(Date.now() / 1000) } : a)));
    } catch (e) {
      notify(toCommandError(e).message, true);
    }
  };

  const toggleFavourite = async (account: Account) => {
    try {
      replaceAccount(await api.updateAccount(account.id, { favourite: !account.favourite }));
    } catch (e) {
      notify(toCommandError(e).message, true);
    }
  };

  const reorderable = settings.sortOrder === "custom" && !query && group === null;
  const move = async (from: number, to: number) => {
    const ids = moveId(
      shown.map((a) => a.id),
      from,
      to,
    );
    const position = new Map(ids.map((id, index) => [id, index]));
    setAccounts((all) => all.map((a) => ({ ...a, position: position.get(a.id) ?? a.position })));
    try {
      await api.reorder(ids);
    } catch (e) {
      notify(toCommandError(e).message, true);
    }
  };

  const backUpNow = async () => {
    setBackingUp(true);
    try {
      const status = await api.backupNow();
      setBackup(status);
      notify(`Backed up to ${status.folder ?? "the backup folder"}`);
    } catch (e) {
      notify(toCommandError(e).message, true);
    } finally {
      setBackingUp(false);
    }
  };

  const saveSettings = async (next: Settings) => {
    try {
      setSettings(await api.saveSettings(next));
    } catch (e) {
      notify(toCommandError(e).message, true);
    }
  };

  // Shortcuts that work anywhere on the account screen.
  useEffect(() => {
    if (screen !== "accounts") return;
    const onKey = (event: KeyboardEvent) => {
      if (dialog) return;
      const typing = event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement;
      const ctrl = event.ctrlKey || event.metaKey;
      if ((event.key === "/" && !typing) || (ctrl && event.key.toLowerCase() === "f")) {
        event.preventDefault();
        search.current?.focus();
        search.current?.select();
      } else if (ctrl && event.key.toLowerCase() === "n") {
        event.preventDefault();
        setDialog({ kind: "add" });
      } else if (ctrl && event.key === ",") {
        event.preventDefault();
        setScreen("settings");
      } else if (ctrl && event.key.toLowerCase() === "l" && vault.hasPassword) {
        event.preventDefault();
        void lock();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [screen, dialog, vault.hasPassword, lock]);

  const onSearchKey = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      focusActiveRow();
    } else if (event.key === "Enter") {
      const first = shown[0];
      if (first) void copy(first);
    } else if (event.key === "Escape") {
      if (query) setQuery("");
      else search.current?.blur();
    }
  };

  if (screen === "loading") return <main class="loading" aria-busy="true" />;
  if (screen === "failed")
    return (
      <main class="empty" role="alert">
        <h1>Countersign could not open the vault</h1>
        <p>{failure}</p>
      </main>
    );
  if (screen === "locked")
    return (
      <LockScreen
        onUnlocked={(state) => {
          setVault(state);
          void openVault(settings.sortOrder).catch((e: unknown) => notify(toCommandError(e).message, true));
        }}
      />
    );
  if (screen === "settings")
    return (
      <SettingsPanel
        settings={settings}
        vault={vault}
        onSettings={setSettings}
        onVault={setVault}
        onBack={() => setScreen("accounts")}
        onAccountsChanged={() =>
          void api
            .listAccounts()
            .then(setAccounts)
            .catch((e: unknown) => notify(toCommandError(e).message, true))
        }
      />
    );

  return (
    <div class="app">
      <Toolbar
        query={query}
        searchRef={search}
        sortOrder={settings.sortOrder}
        onQuery={setQuery}
        onSearchKey={onSearchKey}
        onSort={(order: SortOrder) => void saveSettings({ ...settings, sortOrder: order })}
        onAdd={() => setDialog({ kind: "add" })}
        onSettings={() => setScreen("settings")}
        onLock={vault.hasPassword ? () => void lock() : null}
      />
      <GroupFilter groups={groups} selected={group} onSelect={setGroup} />
      <BackupReminder
        status={backup}
        dismissedAt={backupDismissedAt}
        busy={backingUp}
        onBackUpNow={() => void backUpNow()}
        onSettings={() => setScreen("settings")}
        onDismiss={setBackupDismissedAt}
      />
      <PushSection push={push} nowMs={nowMs} onNotify={notify} />
      {accounts.length === 0 ? (
        <EmptyState onAdd={() => setDialog({ kind: "add" })} />
      ) : shown.length === 0 ? (
        <NoMatches
          query={query || group || ""}
          onClear={() => {
            setQuery("");
            setGroup(null);
          }}
        />
      ) : (
        <AccountList
          accounts={shown}
          windows={windows}
          hotpCodes={hotpCodes}
          nowMs={nowMs}
          showNextCode={settings.showNextCode}
          reorderable={reorderable}
          onVisibleChange={onVisibleChange}
          onCopy={(a) => void copy(a)}
          onNextHotp={(a) => void nextHotp(a)}
          onEdit={(a) => setDialog({ kind: "edit", account: a })}
          onRemove={(a) => setDialog({ kind: "remove", account: a })}
          onToggleFavourite={(a) => void toggleFavourite(a)}
          onMove={(from, to) => void move(from, to)}
          onExitTop={() => search.current?.focus()}
        />
      )}
      <div class="toast-region" aria-live="polite">
        {toast && (
          <div class={toast.error ? "toast toast--error" : "toast"} key={toast.key} data-testid="toast">
            {toast.text}
          </div>
        )}
      </div>
      {dialog?.kind === "add" && (
        <AddAccountDialog
          groups={groups}
          scan={dialog.scan}
          onScanned={({ added, skippedDuplicates }) => {
            setAccounts((all) => [...all, ...added]);
            setDialog(null);
            const names = added.map((a) => a.issuer || a.name).join(", ");
            const skipped = skippedDuplicates ? ` · ${skippedDuplicates} already in the vault` : "";
            notify(added.length ? `Added ${names}${skipped}` : `Nothing added${skipped}`);
          }}
          onClose={() => setDialog(null)}
          onActivationUri={(uri) => {
            setDialog(null);
            push.startActivation(uri);
          }}
          onAdded={(account) => {
            setAccounts((all) => [...all, account]);
            setDialog(null);
            notify(`Added ${account.issuer || account.name}`);
          }}
        />
      )}
      {dialog?.kind === "import" && (
        <ImportDialog
          path={dialog.path}
          onClose={() => setDialog(null)}
          onImported={({ added, skippedDuplicates }) => {
            setAccounts((all) => [...all, ...added]);
            setDialog(null);
            const skipped = skippedDuplicates ? ` · ${skippedDuplicates} already in the vault` : "";
            notify(`Imported ${added.length === 1 ? "1 account" : `${added.length} accounts`}${skipped}`);
          }}
        />
      )}
      {dialog?.kind === "edit" && (
        <EditAccountDialog
          account={dialog.account}
          groups={groups}
          onClose={() => setDialog(null)}
          onSaved={(account) => {
            replaceAccount(account);
            setDialog(null);
          }}
        />
      )}
      {dialog?.kind === "remove" && (
        <RemoveAccountDialog
          account={dialog.account}
          onClose={() => setDialog(null)}
          onRemoved={(id) => {
            setAccounts((all) => all.filter((a) => a.id !== id));
            setDialog(null);
            notify(`Removed ${dialog.account.issuer || dialog.account.name}`);
          }}
        />
      )}
    </div>
  );
}

/** The current time, updated at each whole second. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout>;
    const schedule = () => {
      timer = setTimeout(() => {
        setNow(Date.now());
        schedule();
      }, 1000 - (Date.now() % 1000) + 5);
    };
    schedule();
    return () => clearTimeout(timer);
  }, []);
  return now;
}

/** Calls `onIdle` after `minutes` without keyboard or pointer input (0 = never). */
function useIdleLock(minutes: number, onIdle: () => void) {
  useEffect(() => {
    if (minutes <= 0) return;
    let last = Date.now();
    const touch = () => (last = Date.now());
    const events = ["keydown", "pointerdown", "pointermove", "wheel"] as const;
    events.forEach((name) => window.addEventListener(name, touch, { passive: true }));
    const timer = setInterval(() => {
      if (Date.now() - last >= minutes * 60_000) onIdle();
    }, 5000);
    return () => {
      clearInterval(timer);
      events.forEach((name) => window.removeEventListener(name, touch));
    };
  }, [minutes, onIdle]);
}
