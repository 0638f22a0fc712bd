package main

// RunPlugin: running a policy pack written in Python.
//
// `pulumi preview --policy-pack DIR` (v3.274.1) reads DIR/PulumiPolicy.yaml, finds this host for its
// `runtime: python`, and asks it to run the pack with RunPlugin instead of starting a binary itself. The
// host starts `python -u -m pulumi.policy <engine address> DIR` with the pack's own virtualenv (the
// `virtualenv` runtime option, relative to DIR) — the same entry point the SDK gives the older
// `pulumi-analyzer-policy-python` launcher — and streams the process's stdout and stderr back to the
// engine; the first stdout line is the analyzer's gRPC port. The last message is the exit code. The engine
// ends the plugin by cancelling the call, which kills the process.
//
// Only analyzer plugins (policy packs) are run: resource or tool plugins written in Python are not.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// pluginStream sends a plugin's output to the engine. A gRPC stream must not be written from two goroutines
// at once, and os/exec copies stdout and stderr in a goroutine each: one lock serialises them.
type pluginStream struct {
	mu     sync.Mutex
	server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]
}

func (s *pluginStream) send(msg *pulumirpc.RunPluginResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.server.Send(msg)
}

type pluginOutput struct {
	stream *pluginStream
	stderr bool
}

func (w pluginOutput) Write(p []byte) (int, error) {
	b := append([]byte(nil), p...) // the caller reuses p once Write returns
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	}
	if err := w.stream.send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server grpc.ServerStreamingServer[pulumirpc.RunPluginResponse]) error {
	if req.GetKind() != "analyzer" {
		return status.Errorf(codes.Unimplemented,
			"this Python language host runs policy packs only, not %q plugins", req.GetKind())
	}
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	if dir == "" {
		dir = req.GetProgram() // engines older than ProgramInfo
	}
	if ep := info.GetEntryPoint(); ep != "" && ep != "." {
		dir = filepath.Join(dir, ep)
	}
	stream := &pluginStream{server: server}
	stdout, stderr := pluginOutput{stream: stream}, pluginOutput{stream: stream, stderr: true}
	exit := func(code int32) error {
		return stream.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
	}

	python, venv := pythonFor(info)
	if venv != "" {
		if _, err := os.Stat(python); err != nil {
			fmt.Fprintf(stderr, "the policy pack's virtualenv %s does not exist: create it with "+
				"`cd %s && python3 -m venv %s && %s/bin/pip install -r requirements.txt`\n",
				venv, dir, venv, venv)
			return exit(1)
		}
	}

	args := append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
	args = append(args, dir)
	cmd := exec.CommandContext(server.Context(), python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = req.GetEnv()
	if len(cmd.Env) == 0 {
		cmd.Env = os.Environ()
	}
	if venv != "" {
		cmd.Env = append(cmd.Env, "VIRTUAL_ENV="+venv,
			"PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return exit(int32(exitErr.ExitCode()))
		}
		fmt.Fprintf(stderr, "could not run the policy pack with %s: %v\n", python, err)
		return exit(1)
	}
	return exit(0)
}
