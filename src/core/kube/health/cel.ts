// healthCheckExprs: CEL expressions that decide the health of custom resources (Flux's CEL status reader).
import { isCelError, parse, run, type CelInput } from "@bufbuild/cel";
import type { KubeObject } from "../../build/kustomize";
import { splitApiVersion } from "../inventory";
import { current, failed, inProgress, type Health } from "./status";

/**
 * HealthCheckExpr is one entry of Flux's `spec.healthCheckExprs`: CEL expressions over the object's
 * top-level fields (`apiVersion`, `kind`, `metadata`, `spec`, `status`). They are evaluated in the order
 * inProgress, failed, current; the first that is true decides, and none true means InProgress.
 */
export interface HealthCheckExpr {
  /** API group and version of the kind; only the group is matched. */
  apiVersion: string;
  /** Kind to match; without it the entry matches every kind of the group. */
  kind?: string;
  /** True when the object is healthy. Required. */
  current: string;
  /** True while the object is still progressing. */
  inProgress?: string;
  /** True when the object failed: the health check fails fast. */
  failed?: string;
}

const FIELDS = ["current", "inProgress", "failed"] as const;

/** validateHealthCheckExprs parses every expression and returns a problem per bad entry, naming the field. */
export function validateHealthCheckExprs(exprs: HealthCheckExpr[]): string[] {
  const problems: string[] = [];
  exprs.forEach((e, i) => {
    if (!e?.apiVersion) problems.push(`healthCheckExprs[${i}].apiVersion is required`);
    if (!e?.current) problems.push(`healthCheckExprs[${i}].current is required`);
    for (const f of FIELDS) {
      const expr = e?.[f];
      if (!expr) continue;
      try {
        parse(expr);
      } catch (err) {
        problems.push(`healthCheckExprs[${i}].${f} is not valid CEL (${(err as Error).message})`);
      }
    }
  });
  return problems;
}

/**
 * matchHealthCheckExpr finds the entry for an object: same API group, and an entry naming the object's
 * kind wins over a group-only entry.
 */
export function matchHealthCheckExpr(exprs: HealthCheckExpr[] | undefined, obj: KubeObject): HealthCheckExpr | undefined {
  const group = splitApiVersion(obj.apiVersion).group;
  const sameGroup = (exprs ?? []).filter((e) => splitApiVersion(e.apiVersion).group === group);
  return sameGroup.find((e) => e.kind === obj.kind) ?? sameGroup.find((e) => !e.kind);
}

/** celValue turns JSON into CEL input: whole numbers become CEL ints, as Kubernetes' int64 fields are. */
function celValue(v: unknown): CelInput {
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(celValue);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, celValue(x)])) as CelInput;
  return v as CelInput;
}

/** evaluate runs one expression; a missing field or any evaluation error counts as "not true" with its reason. */
function evaluate(expr: string, vars: Record<string, CelInput>): { value: boolean; error?: string } {
  let result;
  try {
    result = run(expr, vars);
  } catch (err) {
    return { value: false, error: (err as Error).message };
  }
  if (isCelError(result)) return { value: false, error: result.message };
  if (typeof result !== "boolean") return { value: false, error: `evaluated to ${String(result)}, not a bool` };
  return { value: result };
}

/** celHealth computes an object's health from its matched entry. */
export function celHealth(entry: HealthCheckExpr, obj: KubeObject): Health {
  const o = obj as Record<string, unknown>;
  const vars: Record<string, CelInput> = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: celValue(o.metadata ?? {}),
    spec: celValue(o.spec ?? {}),
    status: celValue(o.status ?? {}),
  };
  if (entry.inProgress && evaluate(entry.inProgress, vars).value) return inProgress(`inProgress expression is true: ${entry.inProgress}`);
  if (entry.failed && evaluate(entry.failed, vars).value) return failed(`failed expression is true: ${entry.failed}`);
  const c = evaluate(entry.current, vars);
  if (c.value) return current(`current expression is true: ${entry.current}`);
  return inProgress(`current expression is not true${c.error ? ` (${c.error})` : ""}: ${entry.current}`);
}
