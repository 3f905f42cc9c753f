import type { ComponentChildren } from "preact";

/** A labelled form control with its error shown beside it (and announced to screen readers). */
export function Field(props: { id: string; label: string; error?: string | undefined; hint?: string; children: ComponentChildren }) {
  return (
    <div class={props.error ? "field field--invalid" : "field"}>
      <label for={props.id}>{props.label}</label>
      {props.children}
      {props.error ? (
        <p class="field__error" id={`${props.id}-error`} role="alert" data-testid={`${props.id}-error`}>
          {props.error}
        </p>
      ) : (
        props.hint && (
          <p class="field__hint" id={`${props.id}-hint`}>
            {props.hint}
          </p>
        )
      )}
    </div>
  );
}

/** The `aria-*` attributes that tie a control to its `Field`'s error or hint. */
export function describedBy(id: string, error: string | undefined, hint?: string) {
  return {
    "aria-invalid": error ? true : undefined,
    "aria-describedby": error ? `${id}-error` : hint ? `${id}-hint` : undefined,
  } as const;
}

/**
 * A field to paste a link into (an otpauth:// URI, an activation link): a textarea where Enter
 * submits and Shift+Enter is left alone; typing clears the error.
 */
export function LinkField(props: {
  id: string;
  label: string;
  hint: string;
  error: string | undefined;
  rows: number;
  value: string;
  onInput: (value: string) => void;
  onSubmit: () => void;
}) {
  return (
    <Field id={props.id} label={props.label} error={props.error} hint={props.hint}>
      <textarea
        id={props.id}
        name={props.id}
        rows={props.rows}
        data-autofocus
        spellcheck={false}
        autocomplete="off"
        value={props.value}
        onInput={(e) => props.onInput(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            props.onSubmit();
          }
        }}
        {...describedBy(props.id, props.error, props.hint)}
      />
    </Field>
  );
}

/** A dialog's Cancel and submit buttons. */
export function DialogButtons(props: { submit: string; busy?: boolean; onCancel: () => void; testId?: string }) {
  return (
    <div class="modal__buttons">
      <button type="button" class="button" onClick={props.onCancel}>
        Cancel
      </button>
      <button type="submit" class="button button--primary" disabled={props.busy} data-testid={props.testId}>
        {props.submit}
      </button>
    </div>
  );
}
