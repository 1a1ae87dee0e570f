// Build confinement: every file a kustomization refers to stays inside the artifact root, and remote
// bases are refused unless the Kustomization allows them (Flux's secure filesystem and --no-remote-bases).
import { realpathSync, statSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { parse } from "yaml";
import { findKustomizationFile } from "./generator";

/** ConfinementError names the kustomization file and the reference that leaves the artifact. */
export class ConfinementError extends Error {}

/** ConfineOptions control which references a build may follow. */
export interface ConfineOptions {
  /** Allow resources, bases and components fetched from URLs (git or HTTP). @default false */
  allowRemoteBases?: boolean;
}

/** isRemote reports a kustomize reference that names a remote location instead of a local path. */
export function isRemote(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || /^git@/.test(ref) || /^[\w-]+(\.[\w-]+)+(:\d+)?\/[\w.-]+\/[\w.-]+/.test(ref);
}

type Doc = Record<string, unknown>;

/** strings returns the string entries of a kustomization list field. */
export const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
/** objects returns the object entries of a kustomization list field. */
export const objects = (v: unknown): Doc[] => (Array.isArray(v) ? v.filter((x): x is Doc => !!x && typeof x === "object") : []);

/** fileReferences lists the local file paths a kustomization names besides resources and components. */
function fileReferences(k: Doc): string[] {
  const refs: string[] = [];
  for (const p of objects(k.patches)) if (typeof p.path === "string") refs.push(p.path);
  for (const p of objects(k.patchesJson6902)) if (typeof p.path === "string") refs.push(p.path);
  for (const p of objects(k.replacements)) if (typeof p.path === "string") refs.push(p.path);
  // patchesStrategicMerge entries are paths unless they are inline YAML (several lines).
  refs.push(...strings(k.patchesStrategicMerge).filter((p) => !p.includes("\n")));
  refs.push(...strings(k.crds), ...strings(k.configurations));
  for (const g of [...objects(k.configMapGenerator), ...objects(k.secretGenerator)]) {
    for (const f of strings(g.files)) refs.push(f.includes("=") ? f.slice(f.indexOf("=") + 1) : f);
    refs.push(...strings(g.envs));
    if (typeof g.env === "string") refs.push(g.env);
  }
  for (const key of ["generators", "transformers", "validators"]) refs.push(...strings(k[key]).filter((p) => !p.includes("\n")));
  const openapi = k.openapi as Doc | undefined;
  if (openapi && typeof openapi.path === "string") refs.push(openapi.path);
  const helm = k.helmGlobals as Doc | undefined;
  if (helm && typeof helm.chartHome === "string") refs.push(helm.chartHome);
  return refs;
}

/**
 * realpathOrUndefined resolves links in p, or undefined when it does not exist. Synchronous: a generated
 * kustomization lists every manifest, and a thousand thread-pool round trips cost a tenth of a second.
 */
function realpathOrUndefined(p: string): string | undefined {
  try {
    return realpathSync.native(p);
  } catch {
    return undefined;
  }
}

/**
 * confineBuild walks the kustomization in dir and every local base and component it reaches, and
 * throws a ConfinementError when a reference resolves outside root (named by the kustomization file
 * and the reference), or names a remote location while allowRemoteBases is off.
 */
export async function confineBuild(root: string, dir: string, options: ConfineOptions = {}): Promise<void> {
  const realRoot = await realpath(root);
  const seen = new Set<string>();
  const inside = (p: string): boolean => p === realRoot || p.startsWith(realRoot + sep);
  const display = (p: string): string => relative(realRoot, p).split(sep).join("/") || ".";

  const visit = async (kdir: string): Promise<void> => {
    if (seen.has(kdir)) return;
    seen.add(kdir);
    const name = await findKustomizationFile(kdir);
    if (!name) return;
    const file = join(kdir, name);
    let k: Doc;
    try {
      k = (parse(await readFile(file, "utf8")) as Doc | null) ?? {};
    } catch (err) {
      throw new ConfinementError(`${display(file)} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    const check = async (ref: string, field: string): Promise<string | undefined> => {
      const local = resolve(kdir, ref);
      const real = realpathOrUndefined(local);
      if (!real && isRemote(ref)) {
        if (options.allowRemoteBases) return undefined;
        throw new ConfinementError(`${display(file)}: ${field} "${ref}" is a remote base; vendor it into the source, or set allowRemoteBases: true`);
      }
      if (!inside(real ?? local)) {
        throw new ConfinementError(`${display(file)}: ${field} "${ref}" resolves outside the artifact root; keep every file inside the source`);
      }
      return real;
    };
    for (const [field, refs] of [["resources", strings(k.resources)], ["bases", strings(k.bases)], ["components", strings(k.components)]] as const) {
      for (const ref of refs) {
        const real = await check(ref, field);
        if (real && statSync(real).isDirectory()) await visit(real);
      }
    }
    for (const ref of fileReferences(k)) await check(ref, "file");
  };
  await visit(await realpath(dir));
}
