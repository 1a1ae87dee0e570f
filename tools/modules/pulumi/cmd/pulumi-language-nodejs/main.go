// Command pulumi-language-nodejs is a minimal Pulumi language host for Node.js programs.
//
// The official host lives in its own Go module, which the Go module proxy does not serve, so
// fluxiac's test bed builds this one instead. It implements what `pulumi preview`, `up` and
// `destroy` need: it runs @pulumi/pulumi's own program runner (`@pulumi/pulumi/cmd/run`) with
// the engine and resource-monitor addresses, passes config through the environment exactly as
// the official host does, and maps the runner's exit code onto the RunResponse.
//
// Left out compared with the official host: package discovery (GetRequiredPackages answers
// with none), About, InstallDependencies, RunPlugin and debugger support.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pulumi-language-nodejs [flags] <engine address>")
		os.Exit(2)
	}
	engine := args[len(args)-1]

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Exit when the engine goes away.
	go func() { _ = rpcutil.Healthcheck(ctx, engine, 5*time.Minute, cancel) }()

	host := &languageHost{engine: engine}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: ctxDone(ctx),
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func ctxDone(ctx context.Context) chan bool {
	c := make(chan bool)
	go func() { <-ctx.Done(); close(c) }()
	return c
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	engine string

	mu      sync.Mutex
	running map[*exec.Cmd]struct{}
}

func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *languageHost) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *languageHost) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for cmd := range h.running {
		if cmd.Process != nil {
			_ = cmd.Process.Signal(os.Interrupt)
		}
	}
	return &emptypb.Empty{}, nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	programDir, entry := req.GetPwd(), req.GetProgram()
	opts := map[string]any{}
	if info := req.GetInfo(); info != nil {
		if info.GetProgramDirectory() != "" {
			programDir = info.GetProgramDirectory()
		}
		if info.GetEntryPoint() != "" {
			entry = info.GetEntryPoint()
		}
		opts = info.GetOptions().AsMap()
	}
	if entry == "" {
		entry = "."
	}

	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	runner, err := resolveRunner(node, programDir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	var args []string
	if nodeargs, ok := opts["nodeargs"].(string); ok {
		args = append(args, strings.Fields(nodeargs)...)
	}
	args = append(args, runner,
		"--monitor", req.GetMonitorAddress(),
		"--engine", h.engine,
		"--organization", req.GetOrganization(),
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", programDir,
		"--parallel", fmt.Sprint(req.GetParallel()))
	if info := req.GetInfo(); info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root-directory", info.GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, _ := json.Marshal(config)
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, _ := json.Marshal(secretKeys)

	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(configJSON),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	if ts, ok := opts["typescript"].(bool); !ok || ts {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if tsconfig, ok := opts["tsconfig"].(string); ok && tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+tsconfig)
	}

	cmd := exec.Command(node, args...)
	cmd.Dir = programDir
	cmd.Env = env
	cmd.Stdin = nil
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: "Problem executing program (could not run language executor): " + err.Error()}, nil
	}
	h.track(cmd, true)
	defer h.track(cmd, false)

	var copies sync.WaitGroup
	copies.Add(2)
	go func() { defer copies.Done(); _, _ = io.Copy(os.Stdout, stdout) }()
	go func() { defer copies.Done(); _, _ = io.Copy(os.Stderr, stderr) }()
	copies.Wait()
	err = cmd.Wait()

	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exit):
		if status, ok := exit.Sys().(syscall.WaitStatus); ok && status.ExitStatus() == 32 {
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}, nil
	default:
		return &pulumirpc.RunResponse{Error: "Problem executing program: " + err.Error()}, nil
	}
}

func (h *languageHost) track(cmd *exec.Cmd, add bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.running == nil {
		h.running = map[*exec.Cmd]struct{}{}
	}
	if add {
		h.running[cmd] = struct{}{}
	} else {
		delete(h.running, cmd)
	}
}

// resolveRunner finds @pulumi/pulumi/cmd/run from the program's own node_modules.
func resolveRunner(node, dir string) (string, error) {
	if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		return filepath.Abs(p)
	}
	cmd := exec.Command(node, "-e", "console.log(require.resolve('@pulumi/pulumi/cmd/run'))")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("it looks like the Pulumi SDK has not been installed in %s: run `npm install` there (%v)", dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}
