// Diagnostics: how the provider reports problems to Terraform, each pointing at the attribute to fix.
import { FluxiacError, errorMessage } from "../core/errors";
import { snake } from "./schema";

/** AttributePath is a tfplugin6 AttributePath: attribute names and list indexes. */
export interface AttributePath {
  steps: ({ attribute_name: string } | { element_key_int: number } | { element_key_string: string })[];
}

/** Diagnostic is a tfplugin6 Diagnostic as proto-loader takes it. */
export interface Diagnostic {
  severity: "ERROR" | "WARNING";
  summary: string;
  detail: string;
  attribute?: AttributePath;
}

/**
 * attributePath turns an engine property path (`ref.commit`, `include[0].fromPath`) into Terraform's
 * attribute path (`ref.commit`, `include[0].from_path`), below `prefix` steps.
 */
export function attributePath(path: string, prefix: string[] = []): AttributePath {
  const steps: AttributePath["steps"] = prefix.map((p) => ({ attribute_name: p }));
  for (const part of path.split(".").filter(Boolean)) {
    const m = /^([^[]+)((?:\[\d+\])*)$/.exec(part);
    steps.push({ attribute_name: snake(m ? m[1] : part) });
    for (const idx of m?.[2].match(/\d+/g) ?? []) steps.push({ element_key_int: Number(idx) });
  }
  return { steps };
}

/** error is an error diagnostic, on an attribute when `path` is given. */
export function error(summary: string, detail = "", path?: string): Diagnostic {
  return { severity: "ERROR", summary, detail, ...(path ? { attribute: attributePath(path) } : {}) };
}

/** warning is a warning diagnostic. */
export function warning(summary: string, detail = ""): Diagnostic {
  return { severity: "WARNING", summary, detail };
}

/**
 * errorDiagnostic reports a thrown error: a FluxiacError as it renders (`<Kind> "<name>": <message>`),
 * anything else named after the object. Stacks go to stderr only with FLUXIAC_DEBUG.
 */
export function errorDiagnostic(object: { kind: string; name: string }, err: unknown): Diagnostic {
  if (err instanceof AttributeError) return { ...errorDiagnostic(object, err.cause), attribute: attributePath(err.path) };
  if (process.env.FLUXIAC_DEBUG && err instanceof Error) process.stderr.write(`[DEBUG] ${err.stack}\n`);
  const message = err instanceof FluxiacError ? err.message : `${object.kind} "${object.name}": ${errorMessage(err)}`;
  return error(message);
}

/** AttributeError is an engine error a resource type traced to one attribute (engine path, e.g. `chart.spec.version`). */
export class AttributeError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly path: string,
  ) {
    super(errorMessage(cause));
  }
}
