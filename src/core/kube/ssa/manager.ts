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

/** DefinedKind is a kind a CustomResourceDefinition defines, keyed `<group>/<version>/<Kind>` as `<apiVersion>/<Kind>`. */
export interface DefinedKind {
  apiVersion: string;
  kind: string;
  key: string;
  namespaced: boolean;
}

/** definedKinds lists the kinds (one per version) an object defines when it is a CRD; none otherwise. */
export function definedKinds(o: KubeObject): DefinedKind[] {
  if (o.kind !== "CustomResourceDefinition" || !o.apiVersion.startsWith("apiextensions.k8s.io/")) return [];
  const spec = o.spec as { group?: string; names?: { kind?: string }; scope?: string; versions?: { name: string }[] } | undefined;
  const kind = spec?.names?.kind ?? "";
  return (spec?.versions ?? []).map((v) => {
    const apiVersion = `${spec?.group}/${v.name}`;
    return { apiVersion, kind, key: `${apiVersion}/${kind}`, namespaced: spec?.scope === "Namespaced" };
  });
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
  for (const o of objects) for (const k of definedKinds(o)) crdScopes.set(k.key, k.namespaced);
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
