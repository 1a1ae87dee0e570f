// postBuild variable substitution (fluxcd/pkg kustomize_varsub.go): variables from ConfigMaps and Secrets
// (substituteFrom, in list order) and inline (substitute, which wins), expanded with Flux's envsubst.
import { parseDocument, stringify } from "yaml";
import { isNotFound, type ObjectApi } from "../kube/client";
import { EnvsubstError, envsubst } from "./envsubst";
import type { KubeObject } from "./kustomize";

/** SubstituteReference names a ConfigMap or Secret whose data are variables. */
export interface SubstituteReference {
  kind: "ConfigMap" | "Secret";
  name: string;
  /** A missing object counts as empty instead of failing the build. @default false */
  optional?: boolean;
}

/** PostBuild is Flux's spec.postBuild. */
export interface PostBuild {
  /** Variables set inline; they win over substituteFrom. */
  substitute?: Record<string, string>;
  /** ConfigMaps and Secrets in the Kustomization's namespace, read in order (later wins). */
  substituteFrom?: SubstituteReference[];
  /** "WithVariables" skips substitution when no variable is defined; "Always" runs it anyway. @default "WithVariables" */
  substituteStrategy?: "WithVariables" | "Always";
}

/** SUBSTITUTE_KEY is the label or annotation whose value "disabled" opts an object out. */
export const SUBSTITUTE_KEY = "kustomize.toolkit.fluxcd.io/substitute";

const VARIABLE_NAME = /^[_A-Za-z][_A-Za-z0-9]*$/;

/** SubstituteError is a substitution failure; its message names the variable or reference, never a value. */
export class SubstituteError extends Error {}

/** objectName is `Kind/namespace/name` (or `Kind/name`) for messages. */
export function objectName(o: KubeObject): string {
  return [o.kind, o.metadata.namespace, o.metadata.name].filter(Boolean).join("/");
}

/**
 * loadVariables reads substituteFrom (in list order, later wins) from namespace, then the inline
 * substitute map (wins over both). Newlines are stripped from values and every name is validated.
 */
export async function loadVariables(api: ObjectApi, namespace: string, postBuild: PostBuild): Promise<Map<string, string>> {
  const vars = new Map<string, string>();
  for (const ref of postBuild.substituteFrom ?? []) {
    if (ref.kind !== "ConfigMap" && ref.kind !== "Secret") {
      throw new SubstituteError(`postBuild.substituteFrom kind "${ref.kind}" is not supported; use ConfigMap or Secret`);
    }
    let live: { data?: Record<string, string> };
    try {
      live = (await api.read({ apiVersion: "v1", kind: ref.kind, metadata: { name: ref.name, namespace } })) as typeof live;
    } catch (err) {
      if (isNotFound(err)) {
        if (ref.optional) continue;
        throw new SubstituteError(`postBuild.substituteFrom ${ref.kind}/${namespace}/${ref.name} not found; create it, or mark the reference optional: true`);
      }
      throw err;
    }
    for (const [k, v] of Object.entries(live.data ?? {})) {
      const value = ref.kind === "Secret" ? Buffer.from(v, "base64").toString("utf8") : v;
      vars.set(k, value.replaceAll("\n", ""));
    }
  }
  for (const [k, v] of Object.entries(postBuild.substitute ?? {})) vars.set(k, String(v).replaceAll("\n", ""));
  for (const k of vars.keys()) {
    if (!VARIABLE_NAME.test(k)) throw new SubstituteError(`variable name "${k}" is invalid: it must match ^[_[:alpha:]][_[:alpha:][:digit:]]*$; rename the key`);
  }
  return vars;
}

/** isSubstitutionDisabled reports the opt-out label or annotation. */
function isSubstitutionDisabled(o: KubeObject): boolean {
  return o.metadata.labels?.[SUBSTITUTE_KEY] === "disabled" || o.metadata.annotations?.[SUBSTITUTE_KEY] === "disabled";
}

/**
 * substituteObjects expands ${...} in every object (as YAML text, then parsed again, so numbers and
 * booleans take their type as in Flux), except those opted out. Nothing happens when vars is empty
 * and the strategy is not "Always". An unset variable without a default throws a SubstituteError naming
 * the variable and the object.
 */
export function substituteObjects(objects: KubeObject[], vars: Map<string, string>, strategy: PostBuild["substituteStrategy"]): KubeObject[] {
  if (vars.size === 0 && strategy !== "Always") return objects;
  return objects.map((o) => {
    if (isSubstitutionDisabled(o)) return o;
    const text = stringify(o, { lineWidth: 0 });
    let out: string;
    try {
      out = envsubst(text, (name) => vars.get(name));
    } catch (err) {
      if (err instanceof EnvsubstError && err.variable) {
        throw new SubstituteError(
          `postBuild substitution of ${objectName(o)} failed: variable "${err.variable}" is not set (strict mode); set it in postBuild.substitute or postBuild.substituteFrom, or give it a default: \${${err.variable}:=value}`,
        );
      }
      throw new SubstituteError(`postBuild substitution of ${objectName(o)} failed: ${(err as Error).message}; fix the \${...} expression`);
    }
    if (out === text) return o;
    const doc = parseDocument(out);
    if (doc.errors.length) {
      throw new SubstituteError(`postBuild substitution made ${objectName(o)} invalid YAML (line ${doc.errors[0].linePos?.[0]?.line ?? "?"}); check the values substituted into it`);
    }
    return doc.toJS() as KubeObject;
  });
}
