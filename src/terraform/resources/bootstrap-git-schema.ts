// fluxiac_bootstrap_git's attributes: `flux bootstrap git`'s settings in snake_case (the Pulumi BootstrapGit
// arguments), and what plan and apply record (plan, revision, repository_files, the deploy key, sync).
import { bool, computedObject, obj, str, type Attributes } from "../schema";
import { tlsAttr } from "./common";

/** specAttributes are the configured fields, the engine's BootstrapGitSpec in snake_case. */
export const specAttributes: Attributes = {
  url: str("Repository URL: ssh://, user@host:path, https:// or file://.", { required: true }),
  branch: str('Branch to commit to; created when missing. Default "main".'),
  auth: obj(
    "Credentials of the push: identity and known_hosts over SSH, username/password or bearer_token over HTTPS. Also written to the Secret unless a deploy key is generated.",
    {
      username: str("HTTP basic username."),
      password: str("HTTP basic password."),
      bearer_token: str("HTTP bearer token."),
      identity: str("OpenSSH private key."),
      known_hosts: str("known_hosts lines of the SSH server."),
    },
    { optional: true, sensitive: true },
  ),
  tls: tlsAttr,
  author: obj('Commit author. Default name "Flux", empty email.', { name: str("Name.", { required: true }), email: str("Email.", { required: true }) }),
  signing: obj(
    "Sign commits with a PGP secret key (format openpgp) or an SSH private key (format ssh).",
    { format: str('"openpgp" or "ssh".', { required: true }), key: str("The armored PGP secret key or the OpenSSH private key.", { required: true }) },
    { optional: true, sensitive: true },
  ),
  path: str('Path in the repository, e.g. "clusters/prod"; files go to <path>/flux-system/.', { required: true }),
  kubeconfig: str("kubeconfig content. Default: the provider's cluster.", { optional: true, sensitive: true }),
  context: str("kubeconfig context. Default: the provider's."),
  namespace: str('Namespace of the Secret and the sync objects. Default "flux-system". Changing it replaces the resource.', { optional: true, replace: true }),
  interval: str('Interval of the flux-system GitRepository in gotk-sync.yaml. Default "1m".'),
  timeout: str('Git operation timeout. Default "60s".'),
  generate_deploy_key: obj("Generate a deploy key for the Secret, made once and kept in state (deploy_key_private).", {
    algorithm: str('"ecdsa-p384" (default) or "ed25519".'),
  }),
  scan_known_hosts: bool("Trust the host key the SSH server presents when auth.known_hosts is empty. Default false."),
  components: obj(
    "Flux's component manifests for gotk-components.yaml: local_path, or source_ref + path.",
    {
      local_path: str("A local file, or a directory whose *.yaml files are joined in name order."),
      source_ref: str("A source's source_reference whose artifact holds the manifests."),
      path: str("With source_ref: the file or directory inside the artifact. Default: its root."),
      version: str("Flux version for the header and the commit message. Default: the manifests' # Flux Version: line, else custom."),
    },
    { optional: true, sensitive: true },
  ),
  mode: str('"fluxiac" (default: your fluxiac_git_repository and fluxiac_kustomization reconcile the path; wire them to `sync`) or "controllers" (Flux\'s controllers are applied and reconcile).'),
  wait: bool("controllers mode: wait until the sync objects are Ready and the controllers rolled out. Default false."),
  wait_timeout: str('How long wait waits. Default "5m".'),
  delete_git_manifests: bool("On destroy, remove <path>/flux-system/ from the repository. Default false."),
  keep_namespace: bool("On destroy, keep the namespace. Default true."),
  secret_name: str('Name of the Secret with the credentials, and of gotk-sync.yaml\'s GitRepository secretRef. Default "flux-system". A change moves the credentials: the old Secret is removed when fluxiac created it.'),
  kustomization_override: str(
    "The whole content of <path>/flux-system/kustomization.yaml, written instead of the generated one and rewritten whenever the repository's differs. It must list gotk-sync.yaml (and gotk-components.yaml with components).",
  ),
  commit_message_appendix: str("Appended to every commit message after a blank line."),
};

/** attributes are every fluxiac_bootstrap_git attribute. */
export const attributes: Attributes = {
  name: str('The bootstrap\'s name; name your self-management Kustomization the same (Flux\'s "flux-system"). Changing it replaces the resource.', { required: true, replace: true }),
  ...specAttributes,
  id: str("<namespace>/<name>; also the import id (<name> alone when the configuration leaves namespace unset).", { computed: true }),
  plan: computedObject("What the plan found: the branch revision, repository files to commit, the namespace and Secret actions, cluster objects to apply (controllers mode).", {
    revision: "string",
    files: ["list", "string"],
    namespace: "string",
    secret: "string",
    cluster: ["list", "string"],
  }),
  revision: str("The branch revision after the last apply (main@sha1:<sha>).", { computed: true }),
  repository_files: { type: ["map", "string"], description: "The files under <path>/flux-system/, path → content.", computed: true },
  deploy_key_public: str("The generated deploy key's public key (authorized_keys line): grant it read access to the repository.", { computed: true }),
  deploy_key_private: str("The generated deploy key's private key (OpenSSH).", { computed: true, sensitive: true }),
  known_hosts: str("The known_hosts the push and the Secret trust: auth.known_hosts, or what scan_known_hosts scanned.", { computed: true }),
  sync: computedObject(
    "What the self-management loop reconciles, known once the push is done: url, branch, path (./<path>) and ignore (/<path>/flux-system/, the objects meant for Flux's controllers). Wire fluxiac_git_repository and fluxiac_kustomization to it.",
    { url: "string", branch: "string", path: "string", ignore: "string" },
  ),
};
