import { describedBy, Field } from "./Field";

/** Shortest new password accepted: the vault's, an export's, the automatic backups'. */
export const MIN_PASSWORD = 8;

/** Which of the two fields a problem belongs to, and what to do about it. */
export interface NewPasswordProblem {
  field: "password" | "repeat";
  message: string;
}

/** Why a new password typed twice cannot be used, or undefined when it can. */
export function newPasswordProblem(password: string, repeat: string): NewPasswordProblem | undefined {
  if (password.length < MIN_PASSWORD) return { field: "password", message: `Use at least ${MIN_PASSWORD} characters.` };
  if (password !== repeat) return { field: "repeat", message: "The two passwords differ." };
  return undefined;
}

/** A new password, asked twice: two fields with the given ids, each with its error beside it. */
export function NewPasswordFields(props: {
  ids: { password: string; repeat: string };
  label: string;
  repeatLabel: string;
  password: string;
  repeat: string;
  onPassword: (value: string) => void;
  onRepeat: (value: string) => void;
  passwordError: string | undefined;
  repeatError: string | undefined;
}) {
  const field = (id: string, label: string, value: string, onInput: (value: string) => void, error: string | undefined) => (
      <Field id={id} label={label} error={error}>
        <input
          id={id}
          type="password"
          autocomplete="new-password"
          value={value}
          onInput={(e) => onInput(e.currentTarget.value)}
          {...describedBy(id, error)}
        />
      </Field>
  );
  return (
    <>
      {field(props.ids.password, props.label, props.password, props.onPassword, props.passwordError)}
      {field(props.ids.repeat, props.repeatLabel, props.repeat, props.onRepeat, props.repeatError)}
    </>
  );
}
