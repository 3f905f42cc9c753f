import type { BackupStatus } from "../api";
import { reminderFor } from "../backup";

/**
 * A non-blocking banner above the account list: the accounts changed since the last backup and
 * automatic backups are off, or the automatic backup failed. "Back up now" shows once a folder
 * and a backup password are set; "Settings" opens the backup settings; dismissing hides it until
 * the accounts change again.
 */
export function BackupReminder(props: {
  status: BackupStatus | null;
  dismissedAt: number | null;
  busy?: boolean;
  onBackUpNow: () => void;
  onSettings: () => void;
  onDismiss: (changes: number) => void;
}) {
  const { status } = props;
  const reminder = reminderFor(status, props.dismissedAt);
  if (!status || !reminder) return null;
  const canBackUp = status.folder !== null && status.passwordSet;
  return (
    <section
      class={reminder.kind === "failing" ? "banner banner--error" : "banner"}
      role={reminder.kind === "failing" ? "alert" : "status"}
      aria-label="Backup reminder"
      data-testid="backup-reminder"
      data-kind={reminder.kind}
    >
      <p class="banner__text">{reminder.text}</p>
      <div class="banner__buttons">
        {canBackUp && (
          <button type="button" class="button button--primary" disabled={props.busy} onClick={props.onBackUpNow} data-testid="reminder-backup-now">
            Back up now
          </button>
        )}
        <button type="button" class="button" onClick={props.onSettings} data-testid="reminder-settings">
          Settings
        </button>
        <button
          type="button"
          class="button banner__dismiss"
          aria-label="Dismiss the backup reminder"
          onClick={() => props.onDismiss(status.changes)}
          data-testid="reminder-dismiss"
        >
          ×
        </button>
      </div>
    </section>
  );
}
