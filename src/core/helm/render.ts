// Rendering a release for the plan: `helm template`, then the post-renderer in this process on the
// objects that are not hooks (Helm post-renders only those), so a plan starts no post-renderer process.
import YAML from "yaml";
import type { KubeObject } from "../build/kustomize";
import * as actions from "./actions";
import type { HelmSession } from "./helm-cli";
import { parseRendered, postRenderObjects, type PostRenderSpec } from "./post-render";

/** isHook reports whether a rendered object is a Helm hook. */
export const isHook = (o: KubeObject) => Boolean(o.metadata?.annotations?.["helm.sh/hook"]);

/** renderRelease renders the release's objects as install or upgrade (with that action's options) would make them, hooks left out. */
export async function renderRelease(s: HelmSession, t: actions.ReleaseTarget, post: PostRenderSpec, o: { disableSchemaValidation?: boolean } = {}): Promise<KubeObject[]> {
  const objects = parseRendered(await actions.template(s, t, o)).filter((x) => !isHook(x));
  return postRenderObjects(objects, post, s.dir);
}

/** manifestKinds are the objects of a release manifest (Helm keeps hooks apart) as countKinds takes them. */
export function manifestKinds(manifest: string): KubeObject[] {
  return YAML.parseAllDocuments(manifest).map((d) => d.toJS() as KubeObject | null).filter((o): o is KubeObject => Boolean(o?.kind));
}

/** countKinds counts objects by kind, hooks left out, sorted by kind. */
export function countKinds(objects: KubeObject[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of objects) if (!isHook(o)) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}
