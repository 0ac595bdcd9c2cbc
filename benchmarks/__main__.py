"""``make bench``: tidal's figures; with ``--peers DIR`` (``make bench-peers``) moto's and MiniStack's too.

Targets (issue 2): ≤ 150 µs of server CPU per PutObject and per UpdateItem; s3-fanout at
20,000 objects with 8 threads ≥ 500 objects/s with server + workers ≤ 600 MB.
"""

from __future__ import annotations

import argparse
import tempfile
import traceback
from pathlib import Path

from benchmarks.fanout import bench_fanout
from benchmarks.floor import start_commit_floor, start_floor
from benchmarks.server_cpu import bench_put_object, bench_update_item
from benchmarks.targets import start_ministack, start_moto, start_tidal


def _fmt(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,.0f}{unit}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--peers", type=Path, help="venv with moto[server] and ministack")
    parser.add_argument("--ops", type=int, default=2000, help="operations per round (5 rounds, median)")
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--skip-fanout", action="store_true")
    args = parser.parse_args()

    # The floors first: tidal's HTTP layer alone, then with one durable commit per write, to
    # read tidal's figures against in this run.
    starters = [("floor", start_floor), ("commit floor", start_commit_floor), ("tidal", start_tidal)]
    if args.peers:
        args.peers = args.peers.resolve()  # the peers run with a temporary directory as cwd
        starters += [("moto", lambda tmp: start_moto(args.peers, tmp)),
                     ("ministack", lambda tmp: start_ministack(args.peers, tmp))]

    results: dict[str, dict] = {}
    for name, start in starters:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
            figures: dict = {}
            try:
                target = start(Path(tmp))
            except Exception as exc:  # noqa: BLE001 - a peer that won't start is reported, not fatal
                print(f"{name}: could not start: {exc}")
                continue
            try:
                for label, bench in (("put_object", bench_put_object), ("update_item", bench_update_item)):
                    try:
                        figures[label] = bench(target, args.ops)
                    except Exception as exc:  # noqa: BLE001
                        figures[label] = {"error": f"{type(exc).__name__}: {exc}"}
                    print(f"{name} {label}: {figures[label]}", flush=True)
                if not args.skip_fanout and "floor" not in name:
                    if target.runs_lambda:
                        try:
                            figures["fanout"] = bench_fanout(target, args.objects, args.threads)
                        except Exception as exc:  # noqa: BLE001
                            traceback.print_exc()
                            figures["fanout"] = {"error": f"{type(exc).__name__}: {exc}"}
                    else:
                        figures["fanout"] = {"error": "its Lambda needs Docker"}
                    print(f"{name} fanout: {figures['fanout']}", flush=True)
            finally:
                target.stop()
            results[name] = figures

    print()
    print(f"{'':<13}{'PutObject µs CPU':>18}{'ops/s':>8}{'UpdateItem µs CPU':>19}{'ops/s':>8}"
          f"{'fanout obj/s':>14}{'peak MB':>9}")
    for name, f in results.items():
        put, upd, fan = f.get("put_object", {}), f.get("update_item", {}), f.get("fanout", {})
        print(f"{name:<13}{_fmt(put.get('server_cpu_us')):>18}{_fmt(put.get('ops_per_s')):>8}"
              f"{_fmt(upd.get('server_cpu_us')):>19}{_fmt(upd.get('ops_per_s')):>8}"
              f"{_fmt(fan.get('objects_per_s')):>14}{_fmt(fan.get('peak_rss_mb')):>9}")
    base = results.get("tidal", {})
    for label in ("put_object", "update_item"):
        mine = base.get(label, {}).get("server_cpu_us")
        for floor_name, what in (("floor", "HTTP floor"), ("commit floor", "HTTP + commit floor")):
            bare = results.get(floor_name, {}).get(label, {}).get("server_cpu_us")
            if mine and bare:
                print(f"{label}: tidal spends {mine - bare:,.0f} µs above the {what} of {bare:,.0f} µs")
    for name, f in results.items():
        if name == "tidal" or "floor" in name:
            continue
        for label in ("put_object", "update_item"):
            mine, theirs = base.get(label, {}).get("server_cpu_us"), f.get(label, {}).get("server_cpu_us")
            if mine and theirs:
                print(f"{label}: {name} spends {theirs / mine:.1f}x tidal's server CPU per op")
        mine, theirs = base.get("fanout", {}).get("objects_per_s"), f.get("fanout", {}).get("objects_per_s")
        if mine and theirs:
            print(f"fanout: tidal delivers {mine / theirs:.1f}x {name}'s objects/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
