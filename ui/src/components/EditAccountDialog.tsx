import { useState } from "preact/hooks";
import { api, type Account, toCommandError } from "../api";
import { AccountIcon } from "./AccountIcon";
import { describedBy, DialogButtons, Field } from "./Field";
import { Modal } from "./Modal";

/** Icons are scaled to this many pixels square before they are stored in the vault. */
const ICON_SIZE = 64;

/** Edit an account's issuer, name, group, favourite flag and icon (never its secret). */
export function EditAccountDialog(props: {
  account: Account;
  groups: string[];
  onSaved: (account: Account) => void;
  onClose: () => void;
}) {
  const { account } = props;
  const [issuer, setIssuer] = useState(account.issuer);
  const [name, setName] = useState(account.name);
  const [group, setGroup] = useState(account.group ?? "");
  const [favourite, setFavourite] = useState(account.favourite);
  const [icon, setIcon] = useState<string | null>(account.icon);
  const [error, setError] = useState<{ field?: string; message: string } | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    try {
      const saved = await api.updateAccount(account.id, {
        issuer: issuer.trim(),
        name: name.trim(),
        group: group.trim() ? group.trim() : null,
        favourite,
        icon,
      });
      props.onSaved(saved);
    } catch (e) {
      const failure = toCommandError(e);
      setError(failure.field ? { field: failure.field, message: failure.message } : { message: failure.message });
    } finally {
      setBusy(false);
    }
  };

  const errorFor = (field: string) => (error?.field === field ? error.message : undefined);
  return (
    <Modal title={`Edit ${account.issuer || account.name}`} onClose={props.onClose} testId="edit-dialog">
      <form onSubmit={submit} noValidate class="form-grid">
        <Field id="edit-issuer" label="Service (issuer)" error={errorFor("issuer")}>
          <input
            id="edit-issuer"
            data-autofocus
            autocomplete="off"
            value={issuer}
            onInput={(e) => setIssuer(e.currentTarget.value)}
            {...describedBy("edit-issuer", errorFor("issuer"))}
          />
        </Field>
        <Field id="edit-name" label="Account" error={errorFor("name")}>
          <input
            id="edit-name"
            autocomplete="off"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            {...describedBy("edit-name", errorFor("name"))}
          />
        </Field>
        <Field id="edit-group" label="Group" error={errorFor("group")}>
          <input
            id="edit-group"
            list="edit-group-options"
            autocomplete="off"
            value={group}
            onInput={(e) => setGroup(e.currentTarget.value)}
          />
          <datalist id="edit-group-options">
            {props.groups.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
        </Field>
        <label class="check">
          <input type="checkbox" checked={favourite} onChange={(e) => setFavourite(e.currentTarget.checked)} />
          Pin as favourite
        </label>
        <div class="field">
          <span class="field__label">Icon</span>
          <div class="icon-picker">
            <AccountIcon issuer={issuer} name={name} icon={icon} />
            <label class="button">
              Choose image…
              <input
                type="file"
                accept="image/png,image/jpeg,image/svg+xml,image/webp"
                class="visually-hidden-file"
                onChange={async (e) => {
                  const file = e.currentTarget.files?.[0];
                  if (!file) return;
                  try {
                    setIcon(await scaledIcon(file));
                  } catch {
                    setError({ field: "icon", message: "That file could not be read as an image." });
                  }
                }}
              />
            </label>
            {icon && (
              <button type="button" class="button" onClick={() => setIcon(null)}>
                Use initials
              </button>
            )}
          </div>
          {errorFor("icon") && (
            <p class="field__error" role="alert">
              {errorFor("icon")}
            </p>
          )}
        </div>
        {error && !error.field && (
          <p class="form-error" role="alert">
            {error.message}
          </p>
        )}
        <DialogButtons submit="Save" busy={busy} onCancel={props.onClose} testId="edit-save" />
      </form>
    </Modal>
  );
}

/** Reads an image file and scales it to a small PNG data URL, so icons keep the vault small. */
async function scaledIcon(file: File): Promise<string> {
  const url = URL.createObjectURL(file);
  try {
    const image = new Image();
    image.src = url;
    await image.decode();
    const canvas = document.createElement("canvas");
    canvas.width = ICON_SIZE;
    canvas.height = ICON_SIZE;
    const context = canvas.getContext("2d");
    if (!context) throw new Error("no canvas");
    const scale = Math.min(ICON_SIZE / image.naturalWidth, ICON_SIZE / image.naturalHeight);
    const w = image.naturalWidth * scale;
    const h = image.naturalHeight * scale;
    context.drawImage(image, (ICON_SIZE - w) / 2, (ICON_SIZE - h) / 2, w, h);
    return canvas.toDataURL("image/png");
  } finally {
    URL.revokeObjectURL(url);
  }
}
