import type { JSX } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Account, CodeWindow } from "../api";
import { AccountRow } from "./AccountRow";

/** Height of one row in pixels: fixed, so only the rows on screen are rendered. */
export const ROW_HEIGHT = 68;
/** Rows rendered above and below the visible ones, so fast scrolling shows no gaps. */
const OVERSCAN = 6;

export interface AccountListProps {
  accounts: Account[];
  windows: ReadonlyMap<string, CodeWindow>;
  hotpCodes: ReadonlyMap<string, string>;
  nowMs: number;
  showNextCode: boolean;
  /** Drag-and-drop and Alt+arrow reordering are on (custom order, no filter). */
  reorderable: boolean;
  /** Called with the ids of the rows on screen, so their codes can be fetched. */
  onVisibleChange: (ids: string[]) => void;
  onCopy: (account: Account) => void;
  onNextHotp: (account: Account) => void;
  onEdit: (account: Account) => void;
  onRemove: (account: Account) => void;
  onToggleFavourite: (account: Account) => void;
  onMove: (from: number, to: number) => void;
  /** Focus leaves the list upwards (back to the search field). */
  onExitTop: () => void;
}

/** The virtualised list of accounts, driven by the keyboard or the mouse. */
export function AccountList(props: AccountListProps) {
  const { accounts } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const [active, setActive] = useState(0);
  const focusPending = useRef<number | null>(null);
  const dragFrom = useRef<number | null>(null);

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = () => setViewport(element.clientHeight || 600);
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const clampedActive = Math.min(active, Math.max(0, accounts.length - 1));
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(accounts.length, Math.ceil((scrollTop + viewport) / ROW_HEIGHT) + OVERSCAN);
  const visible = accounts.slice(first, last);
  const visibleKey = visible.map((a) => a.id).join(",");

  // A layout effect, so the codes are asked for before the rows are first painted rather than
  // one frame later (at start this is on the way to the first code).
  useLayoutEffect(() => {
    props.onVisibleChange(visible.map((a) => a.id));
    // `visibleKey` stands for `visible`: refetch only when the set of rows on screen changes.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [visibleKey]);

  useEffect(() => {
    const index = focusPending.current;
    if (index === null) return;
    focusPending.current = null;
    const row = scroller.current?.querySelector<HTMLElement>(`[data-index="${index}"]`);
    row?.focus({ preventScroll: true });
  });

  const focusIndex = (index: number) => {
    if (accounts.length === 0) return;
    const target = Math.max(0, Math.min(accounts.length - 1, index));
    const element = scroller.current;
    if (element) {
      const top = target * ROW_HEIGHT;
      if (top < element.scrollTop) element.scrollTop = top;
      else if (top + ROW_HEIGHT > element.scrollTop + viewport) element.scrollTop = top + ROW_HEIGHT - viewport;
      setScrollTop(element.scrollTop);
    }
    setActive(target);
    focusPending.current = target;
  };

  const onKeyDown = (event: JSX.TargetedKeyboardEvent<HTMLDivElement>, index: number) => {
    if (event.target !== event.currentTarget) return; // keys inside a row's buttons act on the button
    const account = accounts[index];
    if (!account) return;
    const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
    // Shortcuts with Ctrl/Cmd belong to the app (Ctrl+N, Ctrl+F, ...), not to the row.
    if (event.ctrlKey || event.metaKey) return;
    const handled = (() => {
      if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
        if (!props.reorderable) return true;
        const to = event.key === "ArrowUp" ? index - 1 : index + 1;
        if (to >= 0 && to < accounts.length) {
          props.onMove(index, to);
          focusIndex(to);
        }
        return true;
      }
      switch (event.key) {
        case "ArrowDown":
          focusIndex(index + 1);
          return true;
        case "ArrowUp":
          if (index === 0) props.onExitTop();
          else focusIndex(index - 1);
          return true;
        case "Home":
          focusIndex(0);
          return true;
        case "End":
          focusIndex(accounts.length - 1);
          return true;
        case "PageDown":
          focusIndex(index + page);
          return true;
        case "PageUp":
          focusIndex(index - page);
          return true;
        case "Enter":
        case " ":
        case "c":
          props.onCopy(account);
          return true;
        case "e":
          props.onEdit(account);
          return true;
        case "f":
          props.onToggleFavourite(account);
          return true;
        case "n":
          if (account.kind === "hotp") props.onNextHotp(account);
          return true;
        case "Delete":
        case "Backspace":
          props.onRemove(account);
          return true;
        default:
          return false;
      }
    })();
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  };

  return (
    <div
      class="list"
      ref={scroller}
      role="list"
      aria-label={`${accounts.length} accounts`}
      data-testid="account-list"
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div class="list__spacer" style={{ height: `${accounts.length * ROW_HEIGHT}px` }}>
        {visible.map((account, offset) => {
          const index = first + offset;
          return (
            <AccountRow
              key={account.id}
              account={account}
              index={index}
              window={props.windows.get(account.id)}
              hotpCode={props.hotpCodes.get(account.id)}
              nowMs={props.nowMs}
              showNextCode={props.showNextCode}
              active={index === clampedActive}
              top={index * ROW_HEIGHT}
              height={ROW_HEIGHT}
              draggable={props.reorderable}
              onCopy={props.onCopy}
              onNextHotp={props.onNextHotp}
              onEdit={props.onEdit}
              onRemove={props.onRemove}
              onToggleFavourite={props.onToggleFavourite}
              onKeyDown={onKeyDown}
              onFocusRow={setActive}
              onDragStart={(i) => (dragFrom.current = i)}
              onDropAt={(to) => {
                const from = dragFrom.current;
                dragFrom.current = null;
                if (from !== null && from !== to) props.onMove(from, to);
              }}
            />
          );
        })}
      </div>
    </div>
  );
}

/** Focuses the list's current row (the one Tab would reach), if there is one. */
export function focusActiveRow(root: ParentNode = document): boolean {
  const row = root.querySelector<HTMLElement>('.row[tabindex="0"]');
  if (!row) return false;
  row.focus();
  return true;
}
