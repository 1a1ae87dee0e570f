// PlanCache: the last plans of this process, so that an apply that follows its plan (Pulumi's check, then
// create/update, in one provider process) neither builds again nor dry-runs again what the plan compared.
import { createHash } from "node:crypto";
import type { KubeObject } from "../build/kustomize";
import type { DiffResult } from "../kube/ssa/diff";

/** CachedPlan is what an apply can take over from its plan. */
export interface CachedPlan {
  /** The built, normalized objects. */
  objects: KubeObject[];
  revision: string;
  /** The plan's comparison of each object with the cluster, by inventory id. */
  diffs: Map<string, DiffResult>;
  at: number;
}

/** PlanCacheOptions tune a PlanCache. */
export interface PlanCacheOptions {
  /** How long a plan may be reused. Default 60 s: the gap between Pulumi's check and update. */
  maxAgeMs?: number;
  /** Plans kept (one per Kustomization and spec). Default 8. */
  size?: number;
}

/**
 * PlanCache keeps recent plans keyed by a digest of the object's name and whole spec (which holds the
 * artifact digest), so any change of source, path or option misses. A plan is taken at most once: the
 * next reconcile compares with the cluster again. T is what a kind's apply takes over (the
 * Kustomization's by default).
 */
export class PlanCache<T extends object = Omit<CachedPlan, "at">> {
  private readonly plans = new Map<string, T & { at: number }>();
  private readonly maxAgeMs: number;
  private readonly size: number;

  constructor(opts: PlanCacheOptions = {}) {
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.size = opts.size ?? 8;
  }

  /** key digests a name and spec; the spec's credentials never leave this process's memory. */
  static key(name: string, spec: unknown): string {
    return createHash("sha256").update(JSON.stringify([name, spec])).digest("hex");
  }

  /** put stores a plan, dropping plans too old to be taken and the oldest beyond the size. */
  put(key: string, plan: T): void {
    this.plans.delete(key);
    for (const [k, p] of this.plans) if (Date.now() - p.at > this.maxAgeMs) this.plans.delete(k);
    this.plans.set(key, { ...plan, at: Date.now() });
    while (this.plans.size > this.size) this.plans.delete(this.plans.keys().next().value!);
  }

  /** take returns and forgets the plan stored under key, if it is recent enough. */
  take(key: string): (T & { at: number }) | undefined {
    const plan = this.plans.get(key);
    this.plans.delete(key);
    return plan && Date.now() - plan.at <= this.maxAgeMs ? plan : undefined;
  }
}
