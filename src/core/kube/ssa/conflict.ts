// Conflicts: what the API server's 409 answers to an apply mean, and the fix to offer.

/**
 * conflictHint adds the fix to an API server refusal with status 409. fluxiac applies with force
 * ownership (as Flux), so field-manager conflicts are taken over; what remains are refusals force
 * cannot settle, such as a manifest that pins metadata.resourceVersion.
 */
export function conflictHint(status: number | undefined, message: string): string {
  if (status !== 409) return message;
  if (/conflict(s)? with "/.test(message)) {
    return `${message}; these fields are owned by the field manager(s) named above: remove them from the manifest, or list their paths in ignore to leave them to that manager`;
  }
  if (/has been modified|resourceVersion|precondition/i.test(message)) {
    return `${message}; the manifest pins metadata.resourceVersion, which server-side apply checks: remove metadata.resourceVersion from the manifest`;
  }
  return `${message}; another writer changed the object at the same time: run the apply again`;
}

/** conflictWarning says which fields a forced apply takes from another manager, and how to leave them to it. */
export function conflictWarning(subject: string, c: { manager: string; fields: string[] }, planned = false): string {
  return (
    `${subject}: ${planned ? "the apply will take" : "took"} ${c.fields.join(", ")} from field manager "${c.manager}" (force ownership, as Flux); ` +
    "to leave a field to another manager, remove it from the manifest or list it in ignore"
  );
}
