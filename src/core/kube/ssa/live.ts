// LiveObjects: the cluster's copies of many desired objects, read with one paginated LIST per large
// group (kind and namespace) instead of one GET per object.
import pLimit from "p-limit";
import type { KubeObject } from "../../build/kustomize";
import { apiMessage, statusCode } from "../client";
import { ApplyObjectError } from "./diff";
import type { ResourceManager } from "./manager";

/** LIST_MIN_OBJECTS is the group size from which a LIST is cheaper than GETs. */
export const LIST_MIN_OBJECTS = 16;
const PAGE = 500;

function groupKey(o: { apiVersion: string; kind: string; metadata: { namespace?: string } }): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}`;
}

/** LiveObjects answers "what does the cluster hold for this object" for the groups it listed. */
export class LiveObjects {
  /** UNLISTED: the object's group was not listed; read it with a GET. */
  static readonly UNLISTED = Symbol("unlisted");

  private constructor(private readonly groups: Map<string, Map<string, KubeObject>>) {}

  /**
   * list reads every group of at least LIST_MIN_OBJECTS objects with paginated LISTs. A group whose
   * listing runs far past its size (a namespace full of other objects) is abandoned and read by GETs.
   */
  static async list(m: ResourceManager, objects: KubeObject[]): Promise<LiveObjects> {
    const samples = new Map<string, KubeObject>();
    const counts = new Map<string, number>();
    for (const o of objects) {
      const k = groupKey(o);
      samples.set(k, o);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const groups = new Map<string, Map<string, KubeObject>>();
    const limit = pLimit(m.concurrency);
    await Promise.all(
      [...counts].filter(([, n]) => n >= LIST_MIN_OBJECTS).map(([k, n]) =>
        limit(async () => {
          const sample = samples.get(k)!;
          const found = await listGroup(m, sample, 4 * n + PAGE);
          if (found) groups.set(k, found);
        }),
      ),
    );
    return new LiveObjects(groups);
  }

  /** lookup returns the live object, undefined when its group was listed without it, or UNLISTED. */
  lookup(o: KubeObject): KubeObject | undefined | typeof LiveObjects.UNLISTED {
    const group = this.groups.get(groupKey(o));
    return group ? group.get(o.metadata.name!) : LiveObjects.UNLISTED;
  }
}

async function listGroup(m: ResourceManager, sample: KubeObject, maxItems: number): Promise<Map<string, KubeObject> | undefined> {
  const { apiVersion, kind } = sample;
  const found = new Map<string, KubeObject>();
  let token: string | undefined;
  do {
    let page;
    try {
      page = await m.api.list<KubeObject & { metadata: { name: string } }>(apiVersion, kind, sample.metadata.namespace, undefined, undefined, undefined, undefined, undefined, PAGE, token);
    } catch (err) {
      throw new ApplyObjectError(`${kind}${sample.metadata.namespace ? `/${sample.metadata.namespace}` : ""}`, "list", statusCode(err), apiMessage(err));
    }
    // Items of a list carry no apiVersion and kind; the dry-run results they are compared with do.
    for (const item of page.items) found.set(item.metadata.name, { ...item, apiVersion, kind });
    if (found.size > maxItems) return undefined;
    token = page.metadata?._continue || undefined;
  } while (token);
  return found;
}
