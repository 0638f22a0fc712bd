"""A stand-in `pulumi-resource-aws` FOR THE POLICY PACK TESTS AND BENCHMARK ONLY: it echoes inputs back.

The real aws provider plugin cannot be obtained on this machine (no plugin downloads), and a policy pack
test needs the engine to accept `aws.acmpca.CertificateAuthorityCertificate` resources so that the policy
analyzer sees their inputs. This stand-in answers the provider protocol with no AWS behind it: Check returns
the inputs unchanged. That is all `pulumi preview` of new resources asks of a provider (measured: GetPluginInfo,
CheckConfig, Configure, Check); any other call (Diff, Create, ...) is answered UNIMPLEMENTED, so it cannot
create anything. It validates nothing: whatever a test sees reported comes from the policy pack. It is not
pulumi-aws: never put it on PATH for a real stack.

Run by a small `pulumi-resource-aws` wrapper script that `write_plugin(dir)` puts in a directory for PATH.
With PCA_IMPORT_AWS_STANDIN_LOG set, the method name of every call the engine makes is appended to that file.
"""
from __future__ import annotations

import os
import sys
from concurrent import futures
from pathlib import Path

VERSION = "7.51.1"  # what pulumi_aws in requirements.txt asks for


def write_plugin(directory: Path) -> Path:
    """Write an executable `pulumi-resource-aws` into `directory` that runs this stand-in."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pulumi-resource-aws"
    path.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{Path(__file__).resolve()}' \"$@\"\n")
    path.chmod(0o755)
    return path


def main() -> None:
    import grpc
    from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

    log_path = os.environ.get("PCA_IMPORT_AWS_STANDIN_LOG")

    class CallLog(grpc.ServerInterceptor):
        """Every call the engine makes, answered or not."""

        def intercept_service(self, continuation, details):
            if log_path:
                with open(log_path, "a") as f:
                    f.write(details.method.rsplit("/", 1)[-1] + "\n")
            return continuation(details)

    class EchoProvider(provider_pb2_grpc.ResourceProviderServicer):
        def GetPluginInfo(self, request, context):
            return plugin_pb2.PluginInfo(version=VERSION)

        def CheckConfig(self, request, context):
            return provider_pb2.CheckResponse(inputs=request.news)

        def Configure(self, request, context):
            return provider_pb2.ConfigureResponse(acceptSecrets=True, acceptResources=True)

        def Check(self, request, context):
            return provider_pb2.CheckResponse(inputs=request.news)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[CallLog()])
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(EchoProvider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
