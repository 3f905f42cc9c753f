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
