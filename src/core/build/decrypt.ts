// SOPS decryption of built Secrets (kustomize-controller internal/decryptor): whole Secrets encrypted with
// sops, and Secret values that are sops-encrypted files (e.g. from a secretGenerator). Age and PGP keys.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { run } from "../exec";
import { isNotFound, type ObjectApi } from "../kube/client";
import { gpgEnv, PGP_PRIVATE_KEY, type DecryptionKeys, type Keyring } from "./keyring";
import type { KubeObject } from "./kustomize";
import { objectName } from "./substitute";

/** Decryption is Flux's spec.decryption, for age and PGP keys. */
export interface Decryption {
  provider: "sops";
  /**
   * Age private keys (`AGE-SECRET-KEY-1…`) or ASCII-armoured PGP private keys (`-----BEGIN PGP PRIVATE
   * KEY BLOCK-----`, no passphrase). Secret: never logged or stored in plain state.
   */
  keys?: string[];
  /** A Secret in the Kustomization's namespace: `*.agekey` entries are age keys, `*.asc` entries PGP private keys. */
  secretRef?: { name: string };
}

/** DECRYPT_KEY is the annotation whose value "Disabled" leaves an encrypted Secret as it is. */
export const DECRYPT_KEY = "kustomize.toolkit.fluxcd.io/decrypt";

/** DecryptError is a decryption failure; its message names the object, never a key or a value. */
export class DecryptError extends Error {}

/** SopsFormat is how sops reads and writes a document. */
export type SopsFormat = "json" | "yaml" | "dotenv" | "binary";

/** sopsCommand is $FLUXIAC_SOPS, else `sops` on PATH. */
function sopsCommand(): string {
  return process.env.FLUXIAC_SOPS || "sops";
}

function hasSopsMetadata(v: unknown): boolean {
  const sops = (v as { sops?: { mac?: unknown } } | null)?.sops;
  return !!sops && typeof sops === "object" && typeof sops.mac === "string";
}

/** formatForPath is the sops format of a file name, by extension (binary when unknown), as Flux's. */
export function formatForPath(path: string): SopsFormat {
  if (path.endsWith(".env")) return "dotenv";
  if (path.endsWith(".json")) return "json";
  if (path.endsWith(".yaml") || path.endsWith(".yml")) return "yaml";
  return "binary";
}

/** isSopsEncrypted reports text that sops encrypted in format (binary files are sops JSON documents). */
export function isSopsEncrypted(text: string, format: SopsFormat): boolean {
  if (format === "dotenv") return /^sops_mac=/m.test(text);
  try {
    return hasSopsMetadata(parse(text));
  } catch {
    return false;
  }
}

/** valueFormat says how a Secret value that is a sops-encrypted file is encoded, from its key's extension. */
function valueFormat(key: string, text: string): SopsFormat | undefined {
  const format = formatForPath(key);
  return isSopsEncrypted(text, format) ? format : undefined;
}

/** isEncryptedSecret reports a Secret that sops encrypted as a whole, or with a sops-encrypted value. */
export function isEncryptedSecret(o: KubeObject): boolean {
  if (o.kind !== "Secret" || o.apiVersion !== "v1") return false;
  if (hasSopsMetadata(o)) return true;
  // An env file that sops encrypted, read by a secretGenerator without decryption.
  if ((o.data as Record<string, unknown> | undefined)?.sops_mac !== undefined) return true;
  return encryptedValues(o).length > 0;
}

function encryptedValues(o: KubeObject): { field: "data" | "stringData"; key: string; text: string; format: SopsFormat }[] {
  const found = [];
  for (const field of ["data", "stringData"] as const) {
    for (const [key, v] of Object.entries((o[field] as Record<string, string> | undefined) ?? {})) {
      if (typeof v !== "string") continue;
      const text = field === "data" ? Buffer.from(v, "base64").toString("utf8") : v;
      const format = valueFormat(key, text);
      if (format) found.push({ field, key, text, format });
    }
  }
  return found;
}

/**
 * ageIdentities checks that text holds age private keys (an age-keygen file: keys, comments and blank
 * lines) and returns it trimmed; the error names where the text came from, never its content.
 */
function ageIdentities(text: string, where: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  if (!lines.length || !lines.every((l) => /^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(l))) {
    throw new DecryptError(`${where} is not an age private key (AGE-SECRET-KEY-1…) nor an ASCII-armoured PGP private key`);
  }
  return lines.join("\n");
}

/** pgpPrivateKey checks that text is an ASCII-armoured PGP private key and returns it; errors name where, never the text. */
function pgpPrivateKey(text: string, where: string): { armored: string; where: string } {
  if (!text.includes(PGP_PRIVATE_KEY)) throw new DecryptError(`${where} is not an ASCII-armoured PGP private key (${PGP_PRIVATE_KEY})`);
  return { armored: text, where };
}

/** addKey sorts one key into age or PGP by its text. */
function addKey(keys: DecryptionKeys, text: string, where: string): void {
  if (text.includes(PGP_PRIVATE_KEY)) keys.pgp.push(pgpPrivateKey(text, where));
  else keys.age.push(ageIdentities(text, where));
}

/**
 * loadKeys returns the keys of decryption: `keys` (age or PGP, by their text), then the `*.agekey` (age)
 * and `*.asc` (PGP) entries of secretRef.
 */
export async function loadKeys(api: ObjectApi, namespace: string, decryption: Decryption): Promise<DecryptionKeys> {
  if (decryption.provider !== "sops") throw new DecryptError(`decryption.provider "${decryption.provider}" is not supported; use "sops"`);
  const keys: DecryptionKeys = { age: [], pgp: [] };
  (decryption.keys ?? []).forEach((k, i) => addKey(keys, k, `decryption.keys[${i}]`));
  if (decryption.secretRef) {
    const name = decryption.secretRef.name;
    let secret: { data?: Record<string, string> };
    try {
      secret = (await api.read({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } })) as typeof secret;
    } catch (err) {
      if (isNotFound(err)) throw new DecryptError(`decryption.secretRef Secret/${namespace}/${name} not found; create it with the age keys as *.agekey entries and the PGP private keys as *.asc entries`);
      throw err;
    }
    for (const [k, v] of Object.entries(secret.data ?? {})) {
      const where = `entry "${k}" of Secret/${namespace}/${name}`;
      const text = Buffer.from(v, "base64").toString("utf8");
      if (k.endsWith(".agekey")) keys.age.push(ageIdentities(text, where));
      else if (k.endsWith(".asc")) keys.pgp.push(pgpPrivateKey(text, where));
    }
  }
  if (keys.age.length + keys.pgp.length === 0) {
    throw new DecryptError("decryption has no key: set decryption.keys, or *.agekey (age) or *.asc (PGP) entries in the decryption.secretRef Secret");
  }
  return keys;
}

/** recipients are the PGP fingerprints a sops document is encrypted for, and whether it names age recipients. */
function recipients(text: string, format: SopsFormat): { pgp: string[]; age: boolean } {
  if (format === "dotenv") return { pgp: [...text.matchAll(/^sops_pgp__list_\d+__map_fp=(.*)$/gm)].map((m) => m[1].trim()), age: /^sops_age__/m.test(text) };
  try {
    const sops = (parse(text) as { sops?: { pgp?: { fp?: unknown }[]; age?: unknown[] } } | null)?.sops;
    const pgp = Array.isArray(sops?.pgp) ? sops.pgp.map((p) => String(p?.fp ?? "")).filter(Boolean) : [];
    return { pgp, age: Array.isArray(sops?.age) && sops.age.length > 0 };
  } catch {
    return { pgp: [], age: true };
  }
}

/** missingKeyHint says which key to add: the PGP fingerprints the document names, and/or its age key. */
function missingKeyHint(text: string, format: SopsFormat): string {
  const r = recipients(text, format);
  const pgp = r.pgp.length ? `; it is encrypted for PGP key ${r.pgp.join(", ")}: add that private key as an *.asc entry of the decryption.secretRef Secret (or to decryption.keys)` : "";
  const age = r.age || !r.pgp.length ? "; check that decryption holds the age key it was encrypted for" : "";
  return pgp + age;
}

/**
 * sopsDecrypt runs sops on one encrypted document, with the keyring's age keys and GnuPG home in its
 * environment only. The MAC is not checked, as in Flux (its checkSopsMac is off): kustomize reorders
 * fields and adds metadata.
 */
export async function sopsDecrypt(text: string, format: SopsFormat, keyring: Keyring, what: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "fluxiac-sops-"));
  try {
    const file = join(dir, "encrypted");
    await writeFile(file, text, { mode: 0o600 });
    const env = { PATH: process.env.PATH ?? "", HOME: dir, ...(keyring.gnupgHome ? gpgEnv(keyring.gnupgHome) : {}), ...(keyring.age.length ? { SOPS_AGE_KEY: keyring.age.join("\n") } : {}) };
    const res = await run(sopsCommand(), ["decrypt", "--ignore-mac", "--input-type", format, "--output-type", format, file], { env }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") throw new DecryptError("sops was not found: install sops v3 on PATH, or set FLUXIAC_SOPS");
      throw err;
    });
    if (res.code !== 0) {
      let reason = res.stderr.trim().split("\n")[0];
      for (const path of [dir, keyring.gnupgHome]) if (path) reason = reason.split(path).join("");
      throw new DecryptError(`decrypting ${what} failed: ${reason}${missingKeyHint(text, format)}`);
    }
    return res.stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * decryptObjects decrypts every encrypted Secret with keys (an encrypted Secret without keys is an
 * error naming it and `decryption`), leaving Secrets annotated `kustomize.toolkit.fluxcd.io/decrypt:
 * Disabled` and every other object as they are.
 */
export async function decryptObjects(objects: KubeObject[], keys: Keyring | undefined): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const o of objects) {
    if (!isEncryptedSecret(o) || o.metadata.annotations?.[DECRYPT_KEY]?.toLowerCase() === "disabled") {
      out.push(o);
      continue;
    }
    if (!keys) {
      throw new DecryptError(`${objectName(o)} is encrypted with SOPS but decryption is not configured; set decryption (provider "sops" with keys or secretRef)`);
    }
    let decrypted = o;
    if (hasSopsMetadata(o)) {
      decrypted = JSON.parse(await sopsDecrypt(JSON.stringify(o), "json", keys, objectName(o))) as KubeObject;
    }
    const values = encryptedValues(decrypted);
    if (values.length) decrypted = structuredClone(decrypted);
    for (const v of values) {
      const plain = await sopsDecrypt(v.text, v.format, keys, `${objectName(o)} ${v.field}.${v.key}`);
      (decrypted[v.field] as Record<string, string>)[v.key] = v.field === "data" ? Buffer.from(plain).toString("base64") : plain;
    }
    out.push(decrypted);
  }
  return out;
}
