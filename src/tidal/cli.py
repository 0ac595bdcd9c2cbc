"""The ``tidal`` command: ``tidal up`` serves the AWS APIs; ``tidal lab …`` runs the experiments."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

from tidal import __version__
from tidal.config import Config


def _seconds_since_process_start() -> float | None:
    """Wall time since this process was started (Linux), so "ready in" counts imports too."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def event_loop_factory():
    """uvloop's loop where it is installed (every platform but Windows), else asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        return asyncio.new_event_loop
    return uvloop.new_event_loop


async def _serve(config: Config, started: float, listener: socket.socket | None = None) -> None:
    from tidal.server import Tidal
    from tidal.storage.database import DatabaseInUseError

    try:
        app = Tidal(config)
    except DatabaseInUseError:
        raise SystemExit(f"tidal: {config.data_dir} is in use by another tidal; stop it or pass another --data-dir") from None
    try:
        await app.start(listener)
    except OSError as exc:
        await app.stop()
        raise SystemExit(f"tidal: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ready = _seconds_since_process_start() or (time.perf_counter() - started)
    print(
        f"tidal {__version__} ready on {config.endpoint} in {ready:.2f}s"
        f" (data: {config.data_dir})\n"
        f"export AWS_ENDPOINT_URL={config.endpoint} AWS_ACCESS_KEY_ID=test"
        f" AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION={config.region}",
        flush=True,
    )
    # Ready is announced first; the protocols (~0.1 s of botocore model work) are built
    # right after, before any client has finished building its own boto3 client.
    await asyncio.sleep(0)
    await app.warm_up()
    # What is loaded now (botocore's service models above all) lives as long as the server:
    # keep it out of the cyclic GC's scans, which would otherwise walk it again and again.
    gc.freeze()
    await stop.wait()
    try:
        print("tidal: stopping", flush=True)
    except OSError:  # stdout went away (a closed pipe): stopping matters more than saying so
        pass
    await app.stop()


def cmd_up(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        config = Config.from_env(
            host=args.host, port=args.port, data_dir=args.data_dir, time_scale=args.time_scale,
            max_workers=args.max_workers, seed=args.seed, header_timeout=args.header_timeout,
            idle_timeout=args.idle_timeout, allow_host=tuple(args.allow_host) if args.allow_host else None,
            auth=args.auth, credentials=tuple(args.credentials) if args.credentials else None,
        )
    except ValueError as exc:  # a TIDAL_* variable or flag that does not parse
        raise SystemExit(f"tidal: {exc}") from None
    listener = None
    if config.port == 0:
        # "Any free port": bound here, before the server is built, because the endpoint is
        # printed and handed to the functions' workers; the server then serves on this very
        # socket, so no other process can take the port in between.
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        try:
            listener = socket.create_server((config.host, 0), family=family, backlog=1024)
        except OSError as exc:
            raise SystemExit(f"tidal: cannot listen on {config.host}: {exc.strerror or exc}") from None
        config = dataclasses.replace(config, port=listener.getsockname()[1])
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(_serve(config, started, listener))
    return 0


def cmd_lab_s3_fanout(args: argparse.Namespace) -> int:
    from tidal.lab.s3_fanout import run_s3_fanout

    return run_s3_fanout(objects=args.objects, threads=args.threads, endpoint=args.endpoint,
                         timeout=args.timeout, stall_timeout=args.stall_timeout, via=args.via)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tidal", description=__doc__)
    parser.add_argument("--version", action="version", version=f"tidal {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="serve the AWS APIs (S3, DynamoDB, Lambda) on one port")
    up.add_argument("--host", help="bind address (TIDAL_HOST, default 127.0.0.1)")
    up.add_argument("--port", type=int, help="port (TIDAL_PORT, default 4566)")
    up.add_argument("--data-dir", type=Path, help="where state lives (TIDAL_DATA_DIR, default ./.tidal)")
    up.add_argument("--time-scale", type=float,
                    help="multiply AWS's long waits, e.g. retry delays (TIDAL_TIME_SCALE, default 1.0)")
    up.add_argument("--max-workers", type=int,
                    help="function worker processes at most (TIDAL_MAX_WORKERS, default 4)")
    up.add_argument("--seed", type=int, help="seed for ids and chaos (TIDAL_SEED)")
    up.add_argument("--header-timeout", type=float,
                    help="seconds a request's head may take to arrive (TIDAL_HEADER_TIMEOUT, default 10)")
    up.add_argument("--idle-timeout", type=float,
                    help="close a connection that sends nothing for this many seconds (TIDAL_IDLE_TIMEOUT, default 30)")
    up.add_argument("--allow-host", action="append", metavar="NAME",
                    help="also answer requests for this Host when listening on loopback; .NAME allows"
                         " its subdomains; repeatable (TIDAL_ALLOW_HOST, comma-separated)")
    up.add_argument("--auth", choices=["none", "sigv4"],
                    help="verify requests' SigV4 signatures against --credentials (TIDAL_AUTH, default none)")
    up.add_argument("--credentials", action="append", metavar="KEY_ID:SECRET",
                    help="credentials --auth sigv4 accepts; repeatable; the first is the functions' own"
                         " (TIDAL_CREDENTIALS, comma-separated; default test:test)")
    up.add_argument("-v", "--verbose", action="store_true", help="log requests' errors and delivery")
    up.set_defaults(func=cmd_up)

    lab = sub.add_parser("lab", help="reproduce the classic delivery experiments")
    lab_sub = lab.add_subparsers(dest="experiment", required=True)
    fanout = lab_sub.add_parser(
        "s3-fanout", help="N objects into a bucket, each fires a function that counts it in a table (seed-000)"
    )
    fanout.add_argument("--objects", type=int, default=10_000)
    fanout.add_argument("--threads", type=int, default=8)
    fanout.add_argument("--endpoint", help="a running tidal (default: start one in a temporary data dir)")
    fanout.add_argument("--timeout", type=float, default=None,
                        help="stop after this many seconds in all (default: run to completion)")
    fanout.add_argument("--via", choices=["boto3", "sync"], default="boto3",
                        help="upload with boto3 threads (default) or, as the seed did, aws s3 sync of N empty files")
    fanout.add_argument("--stall-timeout", type=float, default=120.0,
                        help="stop when nothing was uploaded or delivered for this many seconds (default 120)")
    fanout.set_defaults(func=cmd_lab_s3_fanout)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
