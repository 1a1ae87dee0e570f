// HelmRepository and HelmChart spec types: Flux's source.toolkit.fluxcd.io/v1 fields, as plain data.
import type { SourceReference } from "../reconcile/source-reference";
import type { TLSConfig } from "./tls";

/** HelmRepositoryAuth is Flux's `secretRef` (keys `username`, `password`) as values. Stored as a secret. */
export interface HelmRepositoryAuth {
  username?: string;
  password?: string;
}

/** HelmRepositorySpec is a HelmRepository's desired state. */
export interface HelmRepositorySpec {
  /** `http(s)://` URL of a chart repository (with index.yaml), or `oci://` for an OCI registry. */
  url: string;
  /** "default" for an index.yaml repository, "oci" for an OCI registry. @default from the URL's scheme */
  type?: "default" | "oci";
  auth?: HelmRepositoryAuth;
  /** Send the credentials to chart URLs on other hosts than the repository's. @default false */
  passCredentials?: boolean;
  tls?: TLSConfig;
  /** Plain HTTP to an OCI registry. @default false */
  insecure?: boolean;
  /** Timeout of index and chart downloads. @default "60s" */
  timeout?: string;
}

/** HelmChartSpec is a HelmChart's desired state; its source is a HelmRepository, GitRepository or Bucket. */
export interface HelmChartSpec {
  /** The HelmRepository, GitRepository or Bucket the chart comes from, with its resolved artifact. */
  sourceRef: SourceReference;
  /** Chart name in a HelmRepository, or the chart's path inside a GitRepository or Bucket artifact. */
  chart: string;
  /** Semver range or exact version (HelmRepository only). @default "*" */
  version?: string;
  /** "ChartVersion" (default) makes a new artifact when the chart version changes; "Revision" also when the source revision does. */
  reconcileStrategy?: "ChartVersion" | "Revision";
  /** Values files inside the chart, merged in order into its values.yaml. */
  valuesFiles?: string[];
  /** Skip values files that do not exist instead of failing. @default false */
  ignoreMissingValuesFiles?: boolean;
}
