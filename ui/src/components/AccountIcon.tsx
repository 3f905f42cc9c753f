import { hueFor, initials } from "../format";

/** The account's icon, or its issuer's initials on a colour derived from the issuer. */
export function AccountIcon({ issuer, name, icon }: { issuer: string; name: string; icon: string | null }) {
  if (icon && icon.startsWith("data:image/")) {
    return <img class="icon" src={icon} alt="" width="40" height="40" />;
  }
  const hue = hueFor(issuer || name);
  return (
    <span class="icon icon--initials" style={{ "--hue": String(hue) }} aria-hidden="true">
      {initials(issuer, name)}
    </span>
  );
}
