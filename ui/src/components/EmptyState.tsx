/** What a new user sees: how to add the first account. */
export function EmptyState(props: { onAdd: () => void }) {
  return (
    <section class="empty" data-testid="empty-state" aria-labelledby="empty-title">
      <div class="empty__art" aria-hidden="true">
        ⌛
      </div>
      <h2 id="empty-title">No accounts yet</h2>
      <p>
        When a site offers two-step sign-in with an authenticator app, it shows a QR code. Choose “Can’t scan it?” or
        “Enter a key” there, copy the <code>otpauth://</code> link or the secret key, and add it here.
      </p>
      <button type="button" class="button button--primary" onClick={props.onAdd}>
        Add your first account
      </button>
      <p class="empty__keys">
        Shortcut: <kbd>Ctrl</kbd>+<kbd>N</kbd>
      </p>
    </section>
  );
}

/** Shown when a search or group filter hides every account. */
export function NoMatches(props: { query: string; onClear: () => void }) {
  return (
    <section class="empty" data-testid="no-matches">
      <h2>No account matches “{props.query}”</h2>
      <button type="button" class="button" onClick={props.onClear}>
        Clear the search
      </button>
    </section>
  );
}
