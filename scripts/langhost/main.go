// pulumi-language-python, minimal edition: a Python language host for running pca-import's Pulumi
// project offline.
//
// Why it exists: the upstream host (module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
// carries no tags, and the Go module proxy reachable here serves no pseudo-version of it, so it cannot be
// built on this machine. This host implements the part of the LanguageRuntime protocol that `pulumi
// preview/up/refresh/destroy` use for a pip virtualenv project: it runs the SDK's own
// `pulumi-language-python-exec` launcher (shipped in the sdk/v3 module) with the project's virtualenv.
// Policy packs written in Python run through RunPlugin (runplugin.go). Plugin discovery, dependency
// installation, `pulumi new` prompts, code generation and other plugins written in Python are not
// implemented: pca-import needs none of them.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

const version = "3.274.1"

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer
	mu            sync.Mutex
	engineAddress string
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) GetProgramDependencies(context.Context, *pulumirpc.GetProgramDependenciesRequest) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

func (h *host) InstallDependencies(*pulumirpc.InstallDependenciesRequest, grpc.ServerStreamingServer[pulumirpc.InstallDependenciesResponse]) error {
	return nil // `make venv` installs requirements.txt into the project's virtualenv
}

func (h *host) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	python, _ := pythonFor(req.GetInfo())
	return &pulumirpc.AboutResponse{Executable: python, Version: version}, nil
}

// pythonFor picks the interpreter: the project's `virtualenv` runtime option, else PULUMI_PYTHON_CMD, else python3.
func pythonFor(info *pulumirpc.ProgramInfo) (string, string) {
	if info != nil && info.GetOptions() != nil {
		if v, ok := info.GetOptions().GetFields()["virtualenv"]; ok && v.GetStringValue() != "" {
			venv := v.GetStringValue()
			if !filepath.IsAbs(venv) {
				venv = filepath.Join(info.GetRootDirectory(), venv)
			}
			return filepath.Join(venv, "bin", "python"), venv
		}
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd, ""
	}
	return "python3", ""
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	launcher := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
	python, venv := pythonFor(req.GetInfo())
	if venv != "" {
		if _, err := os.Stat(python); err != nil {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf(
				"the virtualenv %q does not exist: run `make venv` (python3 -m venv %s && %s/bin/pip install -r requirements.txt)",
				venv, venv, venv)}, nil
		}
	}
	h.mu.Lock()
	engine := h.engineAddress
	h.mu.Unlock()

	program := req.GetProgram()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		program = info.GetProgramDirectory()
		if ep := info.GetEntryPoint(); ep != "" && ep != "." {
			program = filepath.Join(program, ep)
		}
	}
	args := []string{"-u", launcher,
		"--monitor", req.GetMonitorAddress(), "--engine", engine,
		"--project", req.GetProject(), "--stack", req.GetStack(), "--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()), "--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization()}
	if info := req.GetInfo(); info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root_directory", info.GetRootDirectory())
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	cfg, keys := req.GetConfig(), req.GetConfigSecretKeys()
	if cfg == nil {
		cfg = map[string]string{} // the SDK expects a JSON object, never null
	}
	if keys == nil {
		keys = []string{}
	}
	config, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys))
	if venv != "" {
		cmd.Env = append(cmd.Env, "VIRTUAL_ENV="+venv, "PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == 32 { // the program already showed the user an actionable message
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

func main() {
	h := &host{}
	// The engine passes its address as the last positional argument (flags, if any, come first).
	if n := len(os.Args); n > 1 {
		h.engineAddress = os.Args[n-1]
	}
	// The engine stops a plugin by sending SIGINT to its process group, then waits up to 5 s before SIGKILL.
	// A signal ignored by `pulumi` (`pulumi up &` from a non-interactive shell, some CI runners) stays ignored
	// in every process it starts, so a host relying on SIGINT's default action never saw it and each
	// preview/up waited those 5 s. Handle SIGINT and SIGTERM explicitly, as the upstream hosts do, and stop
	// serving; handling them also resets them to their default in the program the host runs.
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	cancel := make(chan bool)
	stop := sync.OnceFunc(func() { close(cancel) })
	go func() {
		<-signals
		signal.Stop(signals)
		stop()
	}()
	// An engine that dies without closing the host (SIGKILL, a crash) would leave it running for good: check
	// that the engine is alive, as the upstream hosts do, and stop when it is gone -- exiting shortly after
	// if a program still running keeps the server from stopping gracefully.
	if h.engineAddress != "" {
		gone := func() {
			stop()
			time.AfterFunc(2*time.Second, func() { os.Exit(1) })
		}
		if err := rpcutil.Healthcheck(context.Background(), h.engineAddress, 2*time.Second, gone); err != nil {
			fmt.Fprintf(os.Stderr, "fatal: could not check the engine at %s: %v\n", h.engineAddress, err)
			os.Exit(1)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, h)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "fatal: could not start language host RPC server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "fatal: language host RPC stopped serving: %v\n", err)
		os.Exit(1)
	}
}
