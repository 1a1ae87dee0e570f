// ResourceManager: the client, field manager, owner and concurrency shared by the SSA verbs.
import type { KubeObject } from "../../build/kustomize";
import type { Logger } from "../../log";
import type { ObjectApi } from "../client";
import { splitApiVersion } from "../inventory";
import { withOwner, type Owner } from "./owner";

/** FIELD_MANAGER is the server-side apply field manager of every fluxiac write. */
export const FIELD_MANAGER = "fluxiac";

/** ResourceManager carries what every verb needs. */
export interface ResourceManager {
  api: ObjectApi;
  owner: Owner;
  log: Logger;
  /** Parallel GET + dry-run requests (Flux's --concurrent-ssa). Default 8. */
  concurrency: number;
  signal?: AbortSignal;
}

/** UnknownKindError reports a kind the cluster does not serve. */
export class UnknownKindError extends Error {}

/**
 * normalize prepares built objects for apply: ownership labels, the default namespace on namespaced
 * kinds, no namespace on cluster-scoped kinds. Kinds defined by a CRD in the same build are resolved
 * from that CRD, so they can be planned before the CRD exists.
 */
export async function normalize(m: ResourceManager, objects: KubeObject[], defaultNamespace = "default"): Promise<KubeObject[]> {
  const crdScopes = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind !== "CustomResourceDefinition") continue;
    const spec = o.spec as { group?: string; names?: { kind?: string }; scope?: string; versions?: { name: string }[] } | undefined;
    for (const v of spec?.versions ?? []) crdScopes.set(`${spec?.group}/${v.name}/${spec?.names?.kind}`, spec?.scope === "Namespaced");
  }
  const scopeCache = new Map<string, boolean>();
  const out: KubeObject[] = [];
  for (const o of objects) {
    const key = `${o.apiVersion}/${o.kind}`;
    let namespaced = scopeCache.get(key) ?? crdScopes.get(key);
    if (namespaced === undefined) {
      const info = await m.api.apiResource(o.apiVersion, o.kind);
      if (!info) {
        const { group } = splitApiVersion(o.apiVersion);
        throw new UnknownKindError(
          `${o.kind}/${o.metadata.name}: the cluster does not serve kind ${o.kind} in ${o.apiVersion}` +
            (group ? `; install the CRD for ${group} first, or add it to this Kustomization` : ""),
        );
      }
      namespaced = info.namespaced;
    }
    scopeCache.set(key, namespaced);
    const metadata = { ...o.metadata };
    if (namespaced && !metadata.namespace) metadata.namespace = defaultNamespace;
    if (!namespaced) delete metadata.namespace;
    out.push(withOwner({ ...o, metadata }, m.owner));
  }
  return out;
}
