// commonMetadata: labels and annotations set on every built object (Kustomization and HelmRelease).
// Kept free of heavy imports: Helm's post-renderer process loads it.
import type { KubeObject } from "./kustomize";

/** CommonMetadata are labels and annotations set on every built object. */
export interface CommonMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** withCommonMetadata returns the objects with commonMetadata's labels and annotations merged in. */
export function withCommonMetadata(objects: KubeObject[], cm: CommonMetadata | undefined): KubeObject[] {
  if (!cm || (!Object.keys(cm.labels ?? {}).length && !Object.keys(cm.annotations ?? {}).length)) return objects;
  return objects.map((o) => ({
    ...o,
    metadata: {
      ...o.metadata,
      ...(cm.labels && Object.keys(cm.labels).length ? { labels: { ...o.metadata.labels, ...cm.labels } } : {}),
      ...(cm.annotations && Object.keys(cm.annotations).length ? { annotations: { ...o.metadata.annotations, ...cm.annotations } } : {}),
    },
  }));
}
