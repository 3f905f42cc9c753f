import type { JSX } from "preact";
import type { Account, CodeWindow } from "../api";
import { groupCode, secondsLeft } from "../format";
import { AccountIcon } from "./AccountIcon";
import { CountdownRing } from "./CountdownRing";

/** Seconds before expiry from which the next code is shown beside the current one. */
export const NEXT_CODE_LEAD_SECONDS = 7;

export interface AccountRowProps {
  account: Account;
  index: number;
  /** Current code of a TOTP/Steam account, once fetched. */
  window: CodeWindow | undefined;
  /** The last HOTP code the user asked for. */
  hotpCode: string | undefined;
  nowMs: number;
  showNextCode: boolean;
  /** The row that takes Tab focus in the list (roving tabindex). */
  active: boolean;
  top: number;
  height: number;
  draggable: boolean;
  onCopy: (account: Account) => void;
  onNextHotp: (account: Account) => void;
  onEdit: (account: Account) => void;
  onRemove: (account: Account) => void;
  onToggleFavourite: (account: Account) => void;
  onKeyDown: (event: JSX.TargetedKeyboardEvent<HTMLDivElement>, index: number) => void;
  onFocusRow: (index: number) => void;
  onDragStart: (index: number) => void;
  onDropAt: (index: number) => void;
}

/** One account in the list: icon, issuer, account name, the code and its countdown. */
export function AccountRow(props: AccountRowProps) {
  const { account, window, hotpCode, nowMs } = props;
  const isHotp = account.kind === "hotp";
  const code = isHotp ? hotpCode : window?.code;
  const left = window ? secondsLeft(window.validUntil, nowMs) : 0;
  const showNext = !isHotp && props.showNextCode && window !== undefined && left <= NEXT_CODE_LEAD_SECONDS;
  const label = account.issuer ? `${account.issuer}, ${account.name}` : account.name;

  const stop = (event: Event) => event.stopPropagation();

  return (
    <div
      class="row"
      role="listitem"
      data-index={props.index}
      data-account-id={account.id}
      tabIndex={props.active ? 0 : -1}
      aria-label={`${label}. Press Enter to copy the code.`}
      style={{ transform: `translateY(${props.top}px)`, height: `${props.height}px` }}
      draggable={props.draggable}
      onClick={() => props.onCopy(account)}
      onKeyDown={(e) => props.onKeyDown(e, props.index)}
      onFocus={() => props.onFocusRow(props.index)}
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/plain", account.id);
        props.onDragStart(props.index);
      }}
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault();
        props.onDropAt(props.index);
      }}
    >
      <AccountIcon issuer={account.issuer} name={account.name} icon={account.icon} />
      <div class="row__text">
        <div class="row__issuer">
          {account.favourite && (
            <span class="row__star" aria-label="Favourite" title="Favourite">
              ★
            </span>
          )}
          {account.issuer || account.name}
        </div>
        <div class="row__name">
          {account.group && <span class="row__group">{account.group}</span>}
          {account.issuer ? account.name : ""}
        </div>
      </div>
      <div class="row__code-block">
        <div
          class="row__code"
          data-testid="code"
          data-code={code ?? ""}
          data-valid-until={isHotp ? undefined : window?.validUntil}
          aria-live="off"
        >
          {code ? groupCode(code) : isHotp ? "––– –––" : "··· ···"}
        </div>
        {showNext && window && (
          <div class="row__next" data-testid="next-code">
            next {groupCode(window.next)}
          </div>
        )}
      </div>
      {isHotp ? (
        <button
          type="button"
          tabIndex={props.active ? 0 : -1}
          class="icon-button"
          data-action="next-hotp"
          title="Next code (N)"
          aria-label={`Next code for ${label}`}
          onClick={(e) => {
            stop(e);
            props.onNextHotp(account);
          }}
        >
          ↻
        </button>
      ) : (
        window && <CountdownRing secondsLeft={left} period={window.period} />
      )}
      <div class="row__actions">
        <button
          type="button"
          tabIndex={props.active ? 0 : -1}
          class="icon-button"
          data-action="favourite"
          title={account.favourite ? "Unpin (F)" : "Pin as favourite (F)"}
          aria-label={account.favourite ? `Unpin ${label}` : `Pin ${label} as favourite`}
          aria-pressed={account.favourite}
          onClick={(e) => {
            stop(e);
            props.onToggleFavourite(account);
          }}
        >
          {account.favourite ? "★" : "☆"}
        </button>
        <button
          type="button"
          tabIndex={props.active ? 0 : -1}
          class="icon-button"
          data-action="edit"
          title="Edit (E)"
          aria-label={`Edit ${label}`}
          onClick={(e) => {
            stop(e);
            props.onEdit(account);
          }}
        >
          ✎
        </button>
        <button
          type="button"
          tabIndex={props.active ? 0 : -1}
          class="icon-button icon-button--danger"
          data-action="remove"
          title="Remove (Delete)"
          aria-label={`Remove ${label}`}
          onClick={(e) => {
            stop(e);
            props.onRemove(account);
          }}
        >
          ✕
        </button>
      </div>
    </div>
  );
}
