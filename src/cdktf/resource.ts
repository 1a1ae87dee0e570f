// FluxiacResource: what every fluxiac construct shares. It is a plain Terraform resource of fluxiac's
// provider (`fluxiac_<kind>`) whose attributes are the snake_case of the props; validation runs at synth.
import { TerraformResource, type TerraformMetaArguments } from "cdktf";
import type { Construct } from "constructs";
import { toTerraformAttributes } from "./attributes";
import { addValidation, warnLiteralSecrets, type Problem } from "./validate";

/** FluxiacMetaArguments are the Terraform meta-arguments a fluxiac construct takes. */
export type FluxiacMetaArguments = Pick<TerraformMetaArguments, "provider" | "lifecycle" | "dependsOn">;

/** ObjectProps are the props every fluxiac construct has. */
export interface ObjectProps extends FluxiacMetaArguments {
  /** Name of the Flux object (ownership labels, artifact paths, errors). @default the construct id */
  readonly name?: string;
}

/** ResourceDefinition describes one kind to FluxiacResource. */
export interface ResourceDefinition {
  /** Flux kind, e.g. "GitRepository". */
  kind: string;
  /** Terraform resource type, e.g. "fluxiac_git_repository". */
  type: string;
  /** The resource's attributes with camelCase names, name included; undefined ones are left out. */
  attributes: Record<string, unknown>;
  /** camelCase paths of string maps whose keys are kept as given. @default none */
  stringMaps?: readonly string[];
  /** camelCase paths of credentials that should not be literal strings. @default none */
  secrets?: readonly string[];
  /** Problems of the props, checked at synth. */
  validate: () => Problem[];
  /** The values whose tokens exempt a problem from the synth check. @default attributes */
  checked?: Record<string, unknown>;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** FluxiacResource is the base class of the constructs: a `fluxiac_<kind>` Terraform resource. */
export abstract class FluxiacResource extends TerraformResource {
  /** fluxName is the name of the Flux object this resource reconciles. */
  readonly fluxName: string;
  /** fluxKind is the Flux kind, e.g. "GitRepository". */
  readonly fluxKind: string;
  private readonly attributes: Record<string, unknown>;
  private readonly stringMaps: readonly string[];

  protected constructor(scope: Construct, id: string, props: ObjectProps, definition: ResourceDefinition) {
    super(scope, id, {
      terraformResourceType: definition.type,
      terraformGeneratorMetadata: { providerName: "fluxiac" },
      provider: props.provider,
      lifecycle: props.lifecycle,
      dependsOn: props.dependsOn,
    });
    this.fluxKind = definition.kind;
    this.fluxName = props.name ?? id;
    this.attributes = { name: this.fluxName, ...definition.attributes };
    this.stringMaps = definition.stringMaps ?? [];
    const object = { kind: definition.kind, name: this.fluxName };
    addValidation(this, object, definition.checked ?? this.attributes, () => [...nameProblems(this.fluxName), ...definition.validate()]);
    warnLiteralSecrets(this, object, this.attributes, definition.secrets ?? []);
  }

  /** id is the Terraform id: the name for a source, `<namespace>/<name>` for a Kustomization. */
  get id(): string {
    return this.getStringAttribute("id");
  }

  protected override synthesizeAttributes(): Record<string, unknown> {
    return toTerraformAttributes(this.attributes, this.stringMaps);
  }
}

function nameProblems(name: string): Problem[] {
  if (NAME.test(name)) return [];
  return [{ property: "name", reason: `name "${name}" is not a valid object name (lowercase letters, digits, "-" and "."): set the name prop` }];
}
