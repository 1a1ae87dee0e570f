// The provider every source kind shares: check validates and plans (resolve the revision; fetch only
// when it or the settings changed) and puts the artifact into the checked inputs, so preview shows it;
// create and update make sure the store holds exactly that artifact. Each kind describes itself with a
// SourceHost.
import type { Artifact } from "../../core/artifact/artifact";
import type { ReconcileContext } from "../../core/reconcile/context";
import type { SourceKind } from "../../core/reconcile/source-reference";
import { changedFields, context, hasUnknowns, rethrow, type Props } from "./common";

/** SourceHost is what the shared source provider needs to know about one kind. */
export interface SourceHost<S> {
  kind: SourceKind;
  /** spec reads the engine spec from the resource's inputs. */
  spec(p: Props): S;
  /** validate returns the spec's problems, each naming its field. */
  validate(spec: S): { property: string; reason: string }[];
  /**
   * plan resolves the source and returns the outputs to record beside the inputs: the artifact, and any
   * observed settings. `olds` are the previous checked inputs (spec plus outputs), absent on create.
   */
  plan(name: string, spec: S, olds: Props | undefined, ctx: ReconcileContext): Promise<Props>;
  /** ensure makes the store hold the recorded artifact, fetching and verifying it when it does not. */
  ensure(name: string, spec: S, artifact: Artifact, ctx: ReconcileContext): Promise<unknown>;
  /** fields are the inputs and outputs whose change is an update (the spec's fields plus `artifact`…). */
  fields: string[];
}

/**
 * knownFailures drops the problems of fields whose value is not known yet during preview (they are
 * checked again once known), and names the resource in the rest.
 */
function knownFailures(kind: string, news: Props, problems: { property: string; reason: string }[]) {
  return problems
    .filter((p) => !hasUnknowns(news[p.property.split(/[.[]/)[0]]))
    .map((p) => ({ property: p.property, reason: `${kind} "${news.name}": ${p.reason}` }));
}

/** sourceProvider implements a source kind's dynamic provider from its SourceHost. */
export function sourceProvider<S>(h: SourceHost<S>) {
  return {
    async check(olds: Props, news: Props) {
      const failures = knownFailures(h.kind, news, h.validate(h.spec(news)));
      if (failures.length || hasUnknowns(news)) return { inputs: news, failures };
      try {
        const outputs = await h.plan(news.name, h.spec(news), olds?.artifact ? olds : undefined, context());
        return { inputs: { ...news, ...outputs } };
      } catch (err) {
        rethrow(h.kind, news.name, err);
      }
    },
    async diff(_id: string, olds: Props, news: Props) {
      return { changes: changedFields(olds, news, h.fields).length > 0 || hasUnknowns(news) };
    },
    async create(inputs: Props) {
      if (inputs.artifact) await h.ensure(inputs.name, h.spec(inputs), inputs.artifact, context()).catch((err) => rethrow(h.kind, inputs.name, err));
      return { id: `${h.kind}/${inputs.name}`, outs: inputs };
    },
    async update(_id: string, _olds: Props, news: Props) {
      if (news.artifact) await h.ensure(news.name, h.spec(news), news.artifact, context()).catch((err) => rethrow(h.kind, news.name, err));
      return { outs: news };
    },
    async delete() {
      // Artifacts are shared, content-addressed and garbage-collected by age; nothing to delete.
    },
  };
}

/** pick copies the named inputs into a spec object. */
export function pick<S>(p: Props, keys: readonly (keyof S & string)[]): S {
  return Object.fromEntries(keys.map((k) => [k, p[k]])) as S;
}
