// Imported first by fluxiac's process entry points (the Terraform provider, the CLI, the Pulumi provider
// side): Node caches the compiled code of every module loaded after this one, in its own default place
// (node-compile-cache in the temp dir), so each provider process that Pulumi or Terraform starts loads
// fluxiac and its dependencies faster. FLUXIAC_NO_COMPILE_CACHE=1 turns it off.
import * as nodeModule from "node:module";

if (!process.env.FLUXIAC_NO_COMPILE_CACHE) {
  (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
}
