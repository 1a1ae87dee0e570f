// Testing helpers for stacks that use fluxiac's constructs, over cdktf's Testing: synthesize a scope
// (validations included) and look at the fluxiac resources and provider it produced.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { FluxiacProvider } from "./provider";

/** FluxiacResourceType is the Terraform type of a fluxiac resource. */
export type FluxiacResourceType =
  | "fluxiac_git_repository"
  | "fluxiac_oci_repository"
  | "fluxiac_helm_repository"
  | "fluxiac_bucket"
  | "fluxiac_kustomization"
  | "fluxiac_helm_release"
  | "fluxiac_bootstrap_git";

/** FluxiacSynth is a synthesized stack: its Terraform JSON and accessors for fluxiac's part of it. */
export interface FluxiacSynth {
  /** json is the Terraform JSON configuration as cdktf's Testing.synth returns it. */
  readonly json: string;
  /** config is the parsed configuration. */
  readonly config: TerraformConfig;
  /** resources returns the resources of a type, by their Terraform name. */
  resources(type: FluxiacResourceType): Record<string, Record<string, unknown>>;
  /** resource returns one resource's attributes, or throws naming the resources there are. */
  resource(type: FluxiacResourceType, name: string): Record<string, unknown>;
  /** provider returns the fluxiac provider blocks. */
  providers(): Record<string, unknown>[];
}

/** TerraformConfig is the part of a synthesized configuration the helpers read. */
export interface TerraformConfig {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  provider?: Record<string, Record<string, unknown>[]>;
  terraform?: { required_providers?: Record<string, { source?: string; version?: string }> };
  [key: string]: unknown;
}

/**
 * synthFluxiac builds a stack with `build` and synthesizes it, with validations on unless `validate` is
 * false, so invalid props throw as `cdktf synth` would. A FluxiacProvider (id "fluxiac", default
 * settings) is added when `build` adds none. The app's output directory (cdktf's App creates one) is a
 * temp dir, removed before it returns; nothing else is written.
 */
export function synthFluxiac(build: (stack: TerraformStack) => void, opts: { validate?: boolean } = {}): FluxiacSynth {
  const outdir = mkdtempSync(join(tmpdir(), "fluxiac-cdktf-"));
  try {
    const stack = new TerraformStack(Testing.app({ outdir }), "stack");
    build(stack);
    if (!stack.node.findAll().some((c) => c instanceof FluxiacProvider)) new FluxiacProvider(stack, "fluxiac");
    return fluxiacSynth(Testing.synth(stack, opts.validate ?? true));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** synthStack synthesizes an existing stack (validations on) into a FluxiacSynth. */
export function synthStack(stack: TerraformStack): FluxiacSynth {
  return fluxiacSynth(Testing.synth(stack, true));
}

/** fluxiacSynth wraps a synthesized configuration (cdktf's Testing.synth output). */
export function fluxiacSynth(json: string): FluxiacSynth {
  const config = JSON.parse(json) as TerraformConfig;
  const resources = (type: FluxiacResourceType) => config.resource?.[type] ?? {};
  return {
    json,
    config,
    resources,
    resource(type, name) {
      const found = resources(type)[name];
      if (!found) throw new Error(`no ${type} "${name}" in the synthesized stack; there are: ${Object.keys(resources(type)).join(", ") || "none"}`);
      return found;
    },
    providers: () => config.provider?.fluxiac ?? [],
  };
}

/** hasFluxiacResource is true when the synth has a resource of the type whose attributes include `properties` (deep, partial). */
export function hasFluxiacResource(synth: FluxiacSynth, type: FluxiacResourceType, properties: Record<string, unknown> = {}): boolean {
  return Object.values(synth.resources(type)).some((attrs) => includes(attrs, properties));
}

/** referenceOf is the Terraform expression cdktf writes for an attribute of a construct, e.g. `${fluxiac_git_repository.repo.source_reference}`. */
export function referenceOf(construct: Construct & { terraformResourceType: string; friendlyUniqueId: string }, attribute: string): string {
  return `\${${construct.terraformResourceType}.${construct.friendlyUniqueId}.${attribute}}`;
}

function includes(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.length === actual.length && expected.every((e, i) => includes(actual[i], e));
  if (expected !== null && typeof expected === "object") {
    return actual !== null && typeof actual === "object" && Object.entries(expected).every(([k, v]) => includes((actual as Record<string, unknown>)[k], v));
  }
  return actual === expected;
}
