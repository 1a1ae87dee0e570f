// Synth-time validation of construct props: the core's own spec checks, rendered as fluxiac errors that
// name the construct and the prop. Checks that depend on a value known only at apply time (a token) are
// left to the provider's ValidateResourceConfig.
import { Annotations, Token, Tokenization } from "cdktf";
import type { Construct } from "constructs";
import { FluxiacError, type ObjectRef } from "../core/errors";

/** Problem is one invalid prop: its camelCase path (`ref.commit`, `healthChecks[0].name`) and what is wrong. */
export interface Problem {
  property: string;
  reason: string;
}

/**
 * addValidation registers `check` to run when the stack is synthesized (`cdktf synth`, `Testing.synth`
 * with validations): every problem fails the synth as `<Kind> "<name>": <reason>`.
 */
export function addValidation(construct: Construct, object: ObjectRef, props: object, check: () => Problem[]): void {
  construct.node.addValidation({
    validate: () =>
      check()
        .filter((p) => !dependsOnToken(p, props))
        .map((p) => new FluxiacError(object, "ValidationFailed", p.reason).message),
  });
}

/** warnLiteralSecrets warns about credentials given as plain strings: they end up in cdk.tf.json. */
export function warnLiteralSecrets(construct: Construct, object: ObjectRef, props: object, paths: readonly string[]): void {
  for (const path of paths) {
    const value = valueAt(props, path);
    const literal = (Array.isArray(value) ? value : [value]).some((v) => typeof v === "string" && v !== "" && !Token.isUnresolved(v));
    if (literal) {
      Annotations.of(construct).addWarning(
        `${object.kind} "${object.name}": ${path} is a literal string, so it is written in plain text to the synthesized configuration; pass a sensitive TerraformVariable (or another reference) instead`,
      );
    }
  }
}

/** requireOneOf is a problem when a set value is not one of the allowed literals. */
export function requireOneOf(property: string, value: unknown, allowed: readonly string[]): Problem[] {
  if (value === undefined || allowed.includes(value as string)) return [];
  return [{ property, reason: `${property} "${String(value)}" is not valid: use ${allowed.map((a) => `"${a}"`).join(", ")}` }];
}

function dependsOnToken(problem: Problem, props: object): boolean {
  return Token.isUnresolved(problem.reason) || containsToken(valueAt(props, problem.property));
}

/** valueAt reads a camelCase path such as `ref.commit` or `healthChecks[0].name` out of props. */
function valueAt(props: object, path: string): unknown {
  let value: unknown = props;
  for (const key of path.split(/[.[\]]+/).filter(Boolean)) {
    if (value === null || typeof value !== "object" || Tokenization.isResolvable(value)) return value;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** containsToken reports whether a value holds a token anywhere (a reference known only when Terraform runs). */
export function containsToken(value: unknown): boolean {
  if (Tokenization.isResolvable(value)) return true;
  if (typeof value === "string" || typeof value === "number") return Token.isUnresolved(value);
  if (Array.isArray(value)) return value.some(containsToken);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value).some(containsToken);
  return false;
}
