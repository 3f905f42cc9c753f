// The automatic-backup status the reminder banner and the settings section show: read once,
// then kept current by the shell's `backup:status` events (sent after each automatic run).
import { useCallback, useEffect, useState } from "preact/hooks";
import { api, type BackupStatus } from "./api";

/** The status while `active` (the vault is open), and a setter for answers to commands. */
export function useBackupStatus(active: boolean): [BackupStatus | null, (status: BackupStatus) => void] {
  const [status, setStatus] = useState<BackupStatus | null>(null);
  useEffect(() => {
    if (!active) return;
    let gone = false;
    let unlisten: (() => void) | undefined;
    api
      .onBackupStatus((next) => setStatus(next))
      .then((stop) => (gone ? stop() : (unlisten = stop)))
      .catch(() => undefined);
    api
      .backupStatus()
      .then((next) => gone || setStatus(next))
      .catch(() => undefined);
    return () => {
      gone = true;
      unlisten?.();
    };
  }, [active]);
  const set = useCallback((next: BackupStatus) => setStatus(next), []);
  return [status, set];
}

/** What the reminder banner says, or null when it should not show. */
export type Reminder = { kind: "failing" | "never" | "changed"; text: string };

/**
 * The reminder for `status`: when automatic backups are off (or failing) and the accounts
 * changed since the last backup, unless it was dismissed at this same change count.
 */
export function reminderFor(status: BackupStatus | null, dismissedAt: number | null): Reminder | null {
  if (!status || !status.needsBackup || dismissedAt === status.changes) return null;
  if (status.enabled && status.error) {
    return { kind: "failing", text: `The automatic backup failed: ${status.error.message}` };
  }
  if (status.enabled) return null; // a backup is on its way
  if (status.lastBackupAt === null) {
    return { kind: "never", text: "Your accounts are not backed up yet. A backup gets them back if this device is lost." };
  }
  return { kind: "changed", text: `Accounts changed since the last backup (${formatTime(status.lastBackupAt)}).` };
}

/** A Unix time for people, in their locale. */
export function formatTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toLocaleString();
}
