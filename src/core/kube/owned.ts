// ownedInventory: the inventory of a Kustomization read back from the cluster, by its ownership labels,
// for front-ends that have no recorded inventory (`fluxiac diff kustomization`).
import * as k8s from "@kubernetes/client-node";
import pLimit from "p-limit";
import type { KubeObject } from "../build/kustomize";
import { statusCode, type Cluster } from "./client";
import { inventoryOf, type Inventory } from "./inventory";
import { isPruneDisabled, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL, type Owner } from "./ssa/owner";

/** SKIPPED_RESOURCES are kinds nobody applies through a Kustomization and that exist in large numbers. */
const SKIPPED_RESOURCES = new Set(["events", "events.k8s.io/events", "coordination.k8s.io/leases", "discovery.k8s.io/endpointslices"]);

/**
 * unavailable treats a kind the caller may not list, or an aggregated API that does not answer, as
 * holding none of this Kustomization's objects; every other failure (the cluster is down) is thrown.
 */
function unavailable(err: unknown): undefined {
  if ([403, 404, 405, 503].includes(statusCode(err) ?? 0)) return undefined;
  throw err;
}

/** OwnedInventoryOptions tune ownedInventory. */
export interface OwnedInventoryOptions {
  /** Parallel LIST requests. Default 8. */
  concurrency?: number;
  /** Leave out objects that opt out of prune (they would never be deleted). Default true. */
  prunableOnly?: boolean;
}

/**
 * ownedInventory lists, across every kind the cluster serves (preferred version of each API group), the
 * objects labelled as applied by this Kustomization. One label-selected LIST per kind: the server filters,
 * so the cost is the number of kinds, not the number of objects in the cluster.
 */
export async function ownedInventory(cluster: Cluster, owner: Owner, opts: OwnedInventoryOptions = {}): Promise<Inventory> {
  const groups = await cluster.config.makeApiClient(k8s.ApisApi).getAPIVersions();
  const apiVersions = ["v1", ...groups.groups.map((g) => g.preferredVersion?.groupVersion ?? g.versions[0].groupVersion)];
  const selector = `${OWNER_NAME_LABEL}=${owner.name},${OWNER_NAMESPACE_LABEL}=${owner.namespace}`;
  const limit = pLimit(opts.concurrency ?? 8);
  const kinds = (
    await Promise.all(
      apiVersions.map((apiVersion) =>
        limit(async () =>
          ((await cluster.api.servedResources(apiVersion).catch(unavailable)) ?? [])
            .filter((r) => !r.name.includes("/") && r.verbs.includes("list") && !SKIPPED_RESOURCES.has(apiVersion === "v1" ? r.name : `${apiVersion.split("/")[0]}/${r.name}`))
            .map((r) => ({ apiVersion, kind: r.kind })),
        ),
      ),
    )
  ).flat();
  const found = await Promise.all(
    kinds.map(({ apiVersion, kind }) =>
      limit(async () => {
        const objects: KubeObject[] = [];
        let token: string | undefined;
        do {
          const page = await cluster.api.list<KubeObject>(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, selector, 500, token).catch(unavailable);
          if (!page) break;
          objects.push(...page.items.map((o) => ({ ...o, apiVersion, kind })));
          token = page.metadata?._continue || undefined;
        } while (token);
        return objects;
      }),
    ),
  );
  const owned = found.flat().filter((o) => !(opts.prunableOnly ?? true) || !isPruneDisabled(o));
  return inventoryOf(owned);
}
