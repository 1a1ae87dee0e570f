// spec.ignore (Flux v1.9): JSON pointers left out of drift detection and adopted from the cluster.
import type { KubeObject } from "../../build/kustomize";
import { splitApiVersion } from "../inventory";
import { FIELD_MANAGER } from "./manager";
import { managedFieldsOf, type FieldSet } from "./managed-fields";
import type { Selector } from "../../build/overlay";

export type { Selector };

/** IgnoreRule is one entry of spec.ignore: JSON pointers (RFC 6901), for the objects the target selects (all when absent). */
export interface IgnoreRule {
  paths: string[];
  target?: Selector;
}

function matches(pattern: string | undefined, value: string): boolean {
  return pattern === undefined || pattern === "" || new RegExp(`^(?:${pattern})$`).test(value);
}

function matchesSelector(selector: string | undefined, values: Record<string, string> = {}): boolean {
  if (!selector) return true;
  return selector.split(",").map((s) => s.trim()).filter(Boolean).every((term) => {
    const m = /^([^!=\s]+)\s*(?:(!=|==|=)\s*([^!=\s]*))?$/.exec(term);
    if (!m) throw new Error(`"${selector}" is not a selector; use "key=value", "key!=value" or "key"`);
    const [, key, op, value] = m;
    if (!op) return key in values;
    return op === "!=" ? values[key] !== value : values[key] === value;
  });
}

/** selects reports whether a selector picks an object. */
export function selects(target: Selector | undefined, o: KubeObject): boolean {
  if (!target) return true;
  const { group, version } = splitApiVersion(o.apiVersion);
  return (
    matches(target.group, group) &&
    matches(target.version, version) &&
    matches(target.kind, o.kind) &&
    matches(target.name, o.metadata.name ?? "") &&
    matches(target.namespace, o.metadata.namespace ?? "") &&
    matchesSelector(target.labelSelector, o.metadata.labels) &&
    matchesSelector(target.annotationSelector, o.metadata.annotations)
  );
}

/** parsePointer splits a JSON pointer into its unescaped segments. */
export function parsePointer(pointer: string): string[] {
  if (!pointer.startsWith("/")) throw new Error(`ignore path "${pointer}" is not a JSON pointer; write it like "/spec/replicas"`);
  return pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** ignoredPaths returns the parsed paths of every rule that selects the object. */
export function ignoredPaths(rules: IgnoreRule[] | undefined, o: KubeObject): string[][] {
  return (rules ?? []).filter((r) => selects(r.target, o)).flatMap((r) => r.paths.map(parsePointer));
}

type Node = Record<string, unknown> | unknown[];

function child(node: unknown, seg: string): unknown {
  if (Array.isArray(node)) return node[Number(seg)];
  return node && typeof node === "object" ? (node as Record<string, unknown>)[seg] : undefined;
}

function valueAt(o: unknown, path: string[]): unknown {
  return path.reduce(child, o);
}

function removeAt(o: unknown, path: string[]): void {
  const parent = valueAt(o, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    if (/^\d+$/.test(last) && Number(last) < parent.length) parent.splice(Number(last), 1);
  } else if (parent && typeof parent === "object") {
    delete (parent as Record<string, unknown>)[last];
  }
}

function setAt(o: Node, path: string[], value: unknown): void {
  let node: unknown = o;
  for (const seg of path.slice(0, -1)) {
    let next = child(node, seg);
    if (next === undefined && !Array.isArray(node)) {
      next = {};
      (node as Record<string, unknown>)[seg] = next;
    }
    if (!next || typeof next !== "object") return;
    node = next;
  }
  const last = path[path.length - 1];
  if (Array.isArray(node)) node[Number(last)] = value;
  else (node as Record<string, unknown>)[last] = value;
}

/** ownedByOtherApplier reports whether another manager's Apply entry owns the path in the live object. */
export function ownedByOtherApplier(live: KubeObject, path: string[]): boolean {
  return managedFieldsOf(live).some((e) => {
    if (e.operation !== "Apply" || e.manager === FIELD_MANAGER || e.subresource) return false;
    let set: FieldSet | undefined = e.fieldsV1;
    for (const seg of path) set = set?.[`f:${seg}`];
    return set !== undefined;
  });
}

/**
 * adoptIgnored returns the payload to apply when some paths are ignored: a path owned by another
 * manager's Apply is left out (that manager keeps it), any other path takes the live value (or is
 * left out when the cluster has none), so the apply never changes an ignored path.
 */
export function adoptIgnored(desired: KubeObject, live: KubeObject, paths: string[][]): KubeObject {
  const out = structuredClone(desired);
  for (const path of paths) {
    const value = valueAt(live, path);
    if (value === undefined || ownedByOtherApplier(live, path)) removeAt(out, path);
    else setAt(out as unknown as Node, path, structuredClone(value));
  }
  return out;
}

/** withoutPaths returns a copy of an object without the given paths, for drift comparison. */
export function withoutPaths<T>(o: T, paths: string[][]): T {
  if (!paths.length) return o;
  const out = structuredClone(o);
  for (const path of paths) removeAt(out, path);
  return out;
}


/** validateIgnoreRules checks every pointer, pattern and selector of spec.ignore, throwing naming the entry. */
export function validateIgnoreRules(rules: IgnoreRule[] | undefined): void {
  const probe: KubeObject = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "probe" } };
  (rules ?? []).forEach((r, i) => {
    try {
      if (!Array.isArray(r.paths) || !r.paths.length) throw new Error("paths must list at least one JSON pointer");
      r.paths.forEach(parsePointer);
      selects(r.target, probe);
    } catch (err) {
      throw new Error(`ignore[${i}]: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
}
