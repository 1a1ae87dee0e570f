// HelmRelease spec types: Flux's helm.toolkit.fluxcd.io/v2 fields, as plain data.
import type { CommonMetadata } from "../build/post-build";
import type { ClusterConnection } from "../kube/client";
import type { HealthCheckExpr } from "../kube/health/cel";
import type { ClusterAccess } from "../kube/remote";
import type { IgnoreRule } from "../kube/ssa/ignore";
import type { DependsOnSpec } from "../reconcile/depends-on";
import type { SourceReference } from "../reconcile/source-reference";
import type { HelmChartSpec } from "../source/helm-types";
import type { PostRenderer } from "./post-render";
import type { ValuesSpec } from "./values";

/** CRDsPolicy is what install or upgrade does with the chart's crds/ directory. */
export type CRDsPolicy = "Skip" | "Create" | "CreateReplace";

/** Remediation is what happens when an install or upgrade fails. */
export interface Remediation {
  /** How many times the action is retried after a remediation. A negative number retries forever (capped at 10 here). @default 0 */
  retries?: number;
  /** Test failures do not count as a failed release. @default test.ignoreFailures */
  ignoreTestFailures?: boolean;
  /** Remediate the last failure too, when the retries are spent. @default true when retries > 0 */
  remediateLastFailure?: boolean;
  /** Upgrade only: "rollback" to the last deployed revision, or "uninstall". @default "rollback" */
  strategy?: "rollback" | "uninstall";
}

/** ActionCommon are the timeout and disable* switches of install, upgrade and rollback. */
interface ActionCommon {
  /** Action timeout, a duration like "5m". @default spec.timeout */
  timeout?: string;
  /** Do not wait for resources to be ready. @default false */
  disableWait?: boolean;
  /** Do not wait for Jobs to complete (when waiting). @default false */
  disableWaitForJobs?: boolean;
  /** Do not run hooks. @default false */
  disableHooks?: boolean;
}

/**
 * ActionStrategy is Flux's install.strategy / upgrade.strategy: what a failed action does.
 * RemediateOnFailure remediates as `remediation` says; RetryOnFailure leaves the failed release as it
 * is (no uninstall, no rollback) and the next run retries.
 */
export interface ActionStrategy {
  /** @default "RemediateOnFailure" */
  name: "RemediateOnFailure" | "RetryOnFailure";
  /** Flux's wait between retries. A one-shot run has no schedule: the next preview/up (plan/apply) is the retry. Accepted as a duration and otherwise unused. @default "5m" */
  retryInterval?: string;
}

/** ReleaseActionSpec are the fields install and upgrade share. */
interface ReleaseActionSpec extends ActionCommon {
  /** Do not validate the rendered objects against the API server's OpenAPI schema. @default false */
  disableOpenAPIValidation?: boolean;
  /** Do not validate the values against the chart's values.schema.json (`--skip-schema-validation`). @default false */
  disableSchemaValidation?: boolean;
  /** Do not take ownership of existing objects that Helm does not own (Flux takes them, `--take-ownership`). @default false */
  disableTakeOwnership?: boolean;
  strategy?: ActionStrategy;
}

/** InstallSpec is Flux's spec.install. */
export interface InstallSpec extends ReleaseActionSpec {
  remediation?: Omit<Remediation, "strategy">;
  /** Re-use the name of a deleted release that is still in history. @default false */
  replace?: boolean;
  /** @default "Create" */
  crds?: CRDsPolicy;
  /** Create targetNamespace when it does not exist. @default false */
  createNamespace?: boolean;
}

/** UpgradeSpec is Flux's spec.upgrade. */
export interface UpgradeSpec extends ReleaseActionSpec {
  remediation?: Remediation;
  /** What a change of the chart's name does: "Reinstall" uninstalls the release and installs it again, "InPlaceUpdate" upgrades it. @default "Reinstall" */
  chartNameChangeStrategy?: "Reinstall" | "InPlaceUpdate";
  /** Replace objects that cannot be patched (delete and re-create). @default false */
  force?: boolean;
  /** Re-use the release's last values and merge the new ones on top. @default false */
  preserveValues?: boolean;
  /** Delete objects this upgrade created when it fails. @default false */
  cleanupOnFail?: boolean;
  /** @default "Skip" */
  crds?: CRDsPolicy;
}

/** TestSpec is Flux's spec.test. */
export interface TestSpec {
  /** Run `helm test` after every install and upgrade. @default false */
  enable?: boolean;
  timeout?: string;
  /** A failing test does not fail the release. @default false */
  ignoreFailures?: boolean;
  /** Tests to run (`exclude: false`) or skip (`exclude: true`), by name. */
  filters?: { name: string; exclude?: boolean }[];
}

/** RollbackSpec is Flux's spec.rollback. */
export interface RollbackSpec extends ActionCommon {
  force?: boolean;
  /** Restart pods of the rolled back objects. @default false */
  recreate?: boolean;
  cleanupOnFail?: boolean;
}

/** UninstallSpec is Flux's spec.uninstall. */
export interface UninstallSpec {
  timeout?: string;
  disableHooks?: boolean;
  keepHistory?: boolean;
  disableWait?: boolean;
  /** @default "background" */
  deletionPropagation?: "background" | "foreground" | "orphan";
}

/** DriftDetection is Flux's spec.driftDetection. */
export interface DriftDetection {
  /** "enabled" corrects drift, "warn" reports it, "disabled" does not look. @default "disabled" */
  mode?: "enabled" | "warn" | "disabled";
  /** Paths (JSON pointers) left out of the comparison, per target. */
  ignore?: IgnoreRule[];
}

/** HelmChartTemplate is Flux's spec.chart: a HelmChart made for this release. */
export interface HelmChartTemplate {
  spec: HelmChartSpec;
}

/** HelmReleaseSpec is a HelmRelease's desired state. */
export interface HelmReleaseSpec extends ValuesSpec, DependsOnSpec, ClusterAccess {
  /** The chart, from a HelmRepository, GitRepository or Bucket (exclusive with chartRef). */
  chart?: HelmChartTemplate;
  /** An OCIRepository artifact or a HelmChart holding the chart (exclusive with chart). */
  chartRef?: Extract<SourceReference, { kind: "OCIRepository" | "HelmChart" }>;
  /** @default `[<targetNamespace>-]<name>`, shortened to 53 characters as Flux does */
  releaseName?: string;
  /** Namespace of the release and its objects. @default namespace */
  targetNamespace?: string;
  /** Namespace of Helm's release storage; must equal targetNamespace (see docs). @default targetNamespace */
  storageNamespace?: string;
  /** The HelmRelease's own namespace: valuesFrom, origin labels, the default target. @default "flux-system" */
  namespace?: string;
  /** The management cluster. */
  cluster?: ClusterConnection;
  /** Timeout of every Helm action. @default "5m" */
  timeout?: string;
  /** Release versions Helm keeps. 0 keeps all. @default 5 */
  maxHistory?: number;
  driftDetection?: DriftDetection;
  install?: InstallSpec;
  upgrade?: UpgradeSpec;
  test?: TestSpec;
  rollback?: RollbackSpec;
  uninstall?: UninstallSpec;
  postRenderers?: PostRenderer[];
  commonMetadata?: CommonMetadata;
  /** Which rendered objects go through the post-renderers. Only "nohooks" (objects, not hooks) is possible with the helm 3 CLI. @default "nohooks" */
  postRenderStrategy?: "nohooks";
  /** How install, upgrade and rollback wait. Only "legacy" (helm 3's --wait) is possible with the helm 3 CLI. @default {name: "legacy"} */
  waitStrategy?: { name: "legacy" };
  /** CEL health rules for custom kinds: after an install or upgrade that waits, the release's matching objects must be Current, else the action fails (and is remediated). */
  healthCheckExprs?: HealthCheckExpr[];
  /** Plan and apply nothing. @default false */
  suspend?: boolean;
}
