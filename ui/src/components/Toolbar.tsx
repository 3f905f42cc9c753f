import type { Ref } from "preact";
import type { SortOrder } from "../api";

const SORT_LABELS: Record<SortOrder, string> = {
  custom: "My order",
  issuer: "Service",
  account: "Account",
  lastUsed: "Last used",
};

/** The top bar: search, sort order, add and settings. */
export function Toolbar(props: {
  query: string;
  searchRef: Ref<HTMLInputElement>;
  sortOrder: SortOrder;
  onQuery: (query: string) => void;
  onSearchKey: (event: KeyboardEvent) => void;
  onSort: (order: SortOrder) => void;
  onAdd: () => void;
  onSettings: () => void;
  onLock: (() => void) | null;
}) {
  return (
    <header class="toolbar">
      <div class="search">
        <label for="search" class="visually-hidden">
          Search accounts
        </label>
        <input
          id="search"
          ref={props.searchRef}
          type="search"
          placeholder="Search  ( / )"
          autocomplete="off"
          spellcheck={false}
          value={props.query}
          onInput={(e) => props.onQuery(e.currentTarget.value)}
          onKeyDown={props.onSearchKey}
          data-testid="search"
        />
      </div>
      <label for="sort" class="visually-hidden">
        Sort by
      </label>
      <select
        id="sort"
        class="sort"
        title="Sort by"
        value={props.sortOrder}
        onChange={(e) => props.onSort(e.currentTarget.value as SortOrder)}
      >
        {(Object.keys(SORT_LABELS) as SortOrder[]).map((order) => (
          <option key={order} value={order}>
            {SORT_LABELS[order]}
          </option>
        ))}
      </select>
      {props.onLock && (
        <button type="button" class="icon-button" title="Lock now (Ctrl+L)" aria-label="Lock now" onClick={props.onLock}>
          🔒
        </button>
      )}
      <button type="button" class="icon-button" title="Settings (Ctrl+,)" aria-label="Settings" onClick={props.onSettings} data-testid="open-settings">
        ⚙
      </button>
      <button type="button" class="button button--primary" title="Add account (Ctrl+N)" onClick={props.onAdd} data-testid="open-add">
        + Add
      </button>
    </header>
  );
}

/** Filter chips: all accounts, or one group. */
export function GroupFilter(props: { groups: string[]; selected: string | null; onSelect: (group: string | null) => void }) {
  if (props.groups.length === 0) return null;
  const chip = (label: string, value: string | null) => (
    <button
      type="button"
      class="chip"
      aria-pressed={props.selected === value}
      onClick={() => props.onSelect(value)}
      key={label}
    >
      {label}
    </button>
  );
  return (
    <nav class="chips" aria-label="Groups">
      {chip("All", null)}
      {props.groups.map((g) => chip(g, g))}
    </nav>
  );
}
