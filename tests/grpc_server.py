"""A real gRPC server for waitfor's tests: grpcio with the standard health
service from grpcio-health-checking, as an application serves it.

The test sets the health statuses through a file it rewrites, one
`SERVICE=STATUS` a line (an empty SERVICE is the whole server), which this
server reads every 50 ms. With --no-health it serves no service at all, so
every call is UNIMPLEMENTED. With --cert and --key it serves TLS, and with
--client-ca it requires a client certificate signed by that CA. Each call
is written to its log (stdout): the method and every metadata entry, as an
application's logging interceptor would write them.
"""

import argparse
import sys
import threading
import time
from concurrent import futures

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc


def read(path):
    with open(path, "rb") as file:
        return file.read()


LOG = threading.Lock()


def log(line):
    """Writes `line` whole: calls are logged from the server's worker threads."""
    with LOG:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class Logged(grpc.ServerInterceptor):
    """Writes each call's method and metadata to stdout."""

    def intercept_service(self, continuation, details):
        metadata = " ".join(f"{key}={value}" for key, value in details.invocation_metadata)
        log(f"call {details.method} {metadata}")
        return continuation(details)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--statuses", help="the file of SERVICE=STATUS lines")
    parser.add_argument("--no-health", action="store_true")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--client-ca")
    args = parser.parse_args()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[Logged()])
    servicer = health.HealthServicer()
    if not args.no_health:
        health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    address = f"127.0.0.1:{args.port}"
    if args.cert:
        credentials = grpc.ssl_server_credentials(
            [(read(args.key), read(args.cert))],
            root_certificates=read(args.client_ca) if args.client_ca else None,
            require_client_auth=bool(args.client_ca),
        )
        server.add_secure_port(address, credentials)
    else:
        server.add_insecure_port(address)

    applied = None
    if args.statuses:
        applied = apply(servicer, args.statuses, applied)
    server.start()
    log(f"serving on {address}")
    while True:
        time.sleep(0.05)
        if args.statuses:
            applied = apply(servicer, args.statuses, applied)


def apply(servicer, path, applied):
    """Sets the statuses the file names, if it changed since `applied`."""
    try:
        text = read(path).decode()
    except FileNotFoundError:
        return applied
    if text == applied:
        return applied
    for line in text.splitlines():
        service, _, status = line.partition("=")
        servicer.set(service, health_pb2.HealthCheckResponse.ServingStatus.Value(status))
    return text


if __name__ == "__main__":
    main()
