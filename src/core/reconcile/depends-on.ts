// dependsOn: a Kustomization applies only once the Kustomizations it depends on are ready.
import { isCelError, parse, run, type CelInput } from "@bufbuild/cel";
import { FluxiacError, type ObjectRef } from "../errors";
import type { KustomizationHealth } from "./kustomization-health";

/**
 * KustomizationDependency is what a dependent sees of one dependency: its recorded state after the
 * dependency's own reconcile in the same run (fluxiac has no in-cluster status to read).
 */
export interface KustomizationDependency {
  name: string;
  /** Revision of the dependency's source artifact now. */
  revision?: string;
  /** Revision the dependency last applied successfully (health included). */
  lastAppliedRevision?: string;
  /** Result of the dependency's last health check. */
  health?: KustomizationHealth;
  /** The dependency is suspended. */
  suspend?: boolean;
}

/** DependsOnSpec are the Kustomization fields of dependency ordering (Flux's names). */
export interface DependsOnSpec {
  dependsOn?: KustomizationDependency[];
  /**
   * CEL over `dep` and `self` that replaces the built-in readiness check, as Flux's readyExpr (without
   * AdditiveCELDependencyCheck). `dep` is `{metadata: {name}, spec: {suspend}, status: {lastAppliedRevision,
   * sourceRevision, ready, health, conditions: [{type: "Ready", status}]}}`, `self` is `{metadata: {name}}`.
   */
  readyExpr?: string;
}

/**
 * dependencyReady is fluxiac's "Ready=True" for a dependency: it applied its source's current revision
 * (lastAppliedRevision equals the artifact revision, which Flux requires for a shared source) and its
 * last health check did not fail. Returns why not, or undefined when ready.
 */
export function dependencyNotReady(dep: KustomizationDependency): string | undefined {
  if (!dep.lastAppliedRevision) return "it has not applied a revision yet";
  if (dep.revision && dep.lastAppliedRevision !== dep.revision) return `its last applied revision ${dep.lastAppliedRevision} is not the source's current revision ${dep.revision}`;
  if (dep.health && dep.health.status !== "Current") return `its health check did not pass: ${dep.health.message}`;
  return undefined;
}

function depInput(dep: KustomizationDependency): CelInput {
  const ready = dependencyNotReady(dep) === undefined;
  return {
    metadata: { name: dep.name },
    spec: { suspend: dep.suspend ?? false },
    status: {
      lastAppliedRevision: dep.lastAppliedRevision ?? "",
      sourceRevision: dep.revision ?? "",
      ready,
      health: { status: dep.health?.status ?? "Current", message: dep.health?.message ?? "" },
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
    },
  };
}

/** validateReadyExpr returns a problem when readyExpr is not valid CEL. */
export function validateReadyExpr(expr: string | undefined): string[] {
  if (!expr) return [];
  try {
    parse(expr);
    return [];
  } catch (err) {
    return [`readyExpr is not valid CEL (${(err as Error).message})`];
  }
}

/**
 * checkDependencies throws DependencyNotReady, naming every dependency that is not ready and why,
 * before anything is applied.
 */
export function checkDependencies(object: ObjectRef, spec: DependsOnSpec): void {
  const problems: string[] = [];
  for (const dep of spec.dependsOn ?? []) {
    if (spec.readyExpr) {
      const result = run(spec.readyExpr, { dep: depInput(dep), self: { metadata: { name: object.name } } });
      if (result !== true) problems.push(`Kustomization "${dep.name}": readyExpr ${isCelError(result) ? `failed (${result.message})` : "is not true"}`);
      continue;
    }
    const why = dependencyNotReady(dep);
    if (why) problems.push(`Kustomization "${dep.name}": ${why}`);
  }
  if (problems.length) {
    throw new FluxiacError(object, "DependencyNotReady", `dependency not ready: ${problems.join("; ")}; nothing was applied. Apply the dependency first, or remove it from dependsOn`);
  }
}
