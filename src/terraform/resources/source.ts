// What every source resource shares: the plan resolves the revision and fetches only when it or the
// settings changed, so `artifact` and `source_reference` are known at plan time and consumers plan
// against the new artifact; the apply makes sure the store holds exactly that artifact.
import type { Artifact } from "../../core/artifact/artifact";
import type { ReconcileContext } from "../../core/reconcile/context";
import type { SourceKind } from "../../core/reconcile/source-reference";
import { hasUnknown, UNKNOWN, type CtyObject, type CtyType, type CtyValue } from "../cty";
import { error } from "../diagnostics";
import { computedObject, engineProps, nullObject, snake, str, type Attributes } from "../schema";
import type { CallContext, ResourceType, Stored } from "./resource";

/** ARTIFACT_TYPE is the cty type of the computed `artifact` attribute. */
const ARTIFACT_TYPE: Record<string, CtyType> = { revision: "string", digest: "string", size: "number", metadata: ["map", "string"] };

/** SourceKindAdapter is what the shared source resource needs to know about one kind. */
export interface SourceKindAdapter<S> {
  typeName: string;
  kind: SourceKind;
  description: string;
  /** The spec's attributes (Terraform names); the engine spec is their camelCase form. */
  specAttributes: Attributes;
  /**
   * renamed maps an engine spec field to the attribute (camelCase) that holds it, where Terraform reserves
   * the field's own name: Flux's `provider` is `cloud_provider`, since `provider` is a meta-argument.
   */
  renamed?: Record<string, string>;
  /** spec turns the engine props of the spec attributes into the engine spec (JSON references parsed…). */
  spec?(props: Record<string, unknown>): S;
  /** engine loads the kind's engine verbs on first use, so the plugin starts without them. */
  engine(): SourceEngine<S>;
}

/** SourceEngine are a source kind's engine verbs. */
export interface SourceEngine<S> {
  validate(spec: S): { property: string; reason: string }[];
  /** plan resolves the source; `previous` is the prior state's spec and artifact, absent on create. */
  plan(name: string, spec: S, previous: { spec: S; artifact: Artifact } | undefined, ctx: ReconcileContext): Promise<Artifact | undefined>;
  ensure(name: string, spec: S, artifact: Artifact, ctx: ReconcileContext): Promise<unknown>;
}

/** artifactValue is an artifact as the `artifact` attribute holds it. */
export function artifactValue(a: Artifact | undefined): CtyObject | null {
  return a ? { revision: a.revision, digest: a.digest, size: a.size, metadata: a.metadata ?? null } : null;
}

/** artifactOf reads the `artifact` attribute back. */
export function artifactOf(v: CtyValue | undefined): Artifact | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v) || hasUnknown(v)) return undefined;
  const o = v as CtyObject;
  return { revision: o.revision as string, digest: o.digest as string, size: o.size as number, ...(o.metadata ? { metadata: o.metadata as Record<string, string> } : {}) };
}

/** sourceResource implements a source kind's resource type from its adapter. */
export function sourceResource<S>(k: SourceKindAdapter<S>): ResourceType {
  const attributes: Attributes = {
    name: str(`The ${k.kind}'s name, as consumers and messages show it. Changing it replaces the resource.`, { required: true, replace: true }),
    ...k.specAttributes,
    id: str("The name.", { computed: true }),
    artifact: computedObject("The resolved artifact: revision, digest (sha256 of the tar.gz in the store), size and metadata.", ARTIFACT_TYPE),
    source_reference: str(
      "What consumers take as source_ref: the JSON of the kind, name, spec and artifact. Sensitive, as the spec holds credentials.",
      { computed: true, sensitive: true },
    ),
  };
  const renamed = Object.entries(k.renamed ?? {});
  const specOf = (o: CtyObject): S => {
    const props = engineProps(k.specAttributes, o);
    for (const [field, attribute] of renamed) {
      if (!(attribute in props)) continue;
      props[field] = props[attribute];
      delete props[attribute];
    }
    return k.spec ? k.spec(props) : (props as S);
  };
  /** attributePath names the attribute of an engine field's path (renamed fields under their attribute). */
  const attributePath = (path: string): string => {
    const head = path.split(/[.[]/)[0];
    const to = renamed.find(([field]) => field === head)?.[1];
    return to ? to + path.slice(head.length) : path;
  };
  const specValues = (o: CtyObject) => Object.fromEntries(Object.keys(k.specAttributes).map((n) => [n, o[n]]));
  const outputs = (name: string, spec: S, artifact: Artifact | undefined): CtyObject => ({
    id: name,
    artifact: artifactValue(artifact),
    // The same key order every time: the apply walk plans again and Terraform compares the strings.
    source_reference: JSON.stringify({ kind: k.kind, name, spec, artifact: artifactOf(artifactValue(artifact)) }),
  });
  const resolve = async (o: CtyObject, prior: CtyObject | null, ctx: CallContext) => {
    const name = o.name as string;
    const spec = specOf(o);
    const problems = k.engine().validate(spec);
    if (problems.length) throw new Error(problems.map((p) => p.reason).join("; "));
    const priorArtifact = prior && prior.name === name ? artifactOf(prior.artifact) : undefined;
    const previous = prior && priorArtifact ? { spec: specOf(prior), artifact: priorArtifact } : undefined;
    return { name, spec, artifact: await k.engine().plan(name, spec, previous, ctx) };
  };
  return {
    typeName: k.typeName,
    kind: k.kind,
    description: `Flux's ${k.kind}: fetched into a versioned artifact during terraform plan.`,
    attributes,
    validate(config) {
      // Problems of values not known yet are checked again at plan time, once known.
      const values = specValues(config);
      let problems: { property: string; reason: string }[];
      try {
        problems = k.engine().validate(specOf(config));
      } catch {
        return [];
      }
      return problems
        .map((p) => ({ ...p, property: attributePath(p.property) }))
        .filter((p) => !hasUnknown(values[snake(p.property.split(/[.[]/)[0])]))
        .map((p) => error(`${k.kind} "${config.name}": ${p.reason}`, "", p.property));
    },
    async plan({ prior, proposed, config }, ctx) {
      if (hasUnknown(config)) {
        return { state: { ...proposed, id: typeof config.name === "string" ? config.name : UNKNOWN, artifact: UNKNOWN, source_reference: UNKNOWN } };
      }
      const { name, spec, artifact } = await resolve(config, prior, ctx);
      return { state: { ...proposed, ...outputs(name, spec, artifact) } };
    },
    async apply({ prior, planned }, ctx) {
      if (hasUnknown(planned)) {
        const { name, spec, artifact } = await resolve(planned, prior, ctx);
        if (artifact) await k.engine().ensure(name, spec, artifact, ctx);
        return { state: { ...planned, ...outputs(name, spec, artifact) } };
      }
      const artifact = artifactOf(planned.artifact);
      if (artifact) await k.engine().ensure(planned.name as string, specOf(planned), artifact, ctx);
      return { state: planned };
    },
    async destroy() {
      // Artifacts are shared, content-addressed and garbage-collected by age; nothing to delete.
    },
    async read(state): Promise<Stored> {
      // The recorded artifact is what consumers applied; the plan resolves the revision again and shows
      // a new one as an update of `artifact`.
      return { state };
    },
    async importState(id) {
      // A source has no object in the cluster: the import records the name, and the next plan resolves it.
      return { state: { ...nullObject(attributes), name: id, id } };
    },
  };
}
