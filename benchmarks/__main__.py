"""``make bench``: tidal's figures; with ``--peers DIR`` (``make bench-peers``) moto's and MiniStack's too.

Targets (issue 2): ≤ 150 µs of server CPU per PutObject and per UpdateItem; s3-fanout at
20,000 objects with 8 threads ≥ 500 objects/s with server + workers ≤ 600 MB. Issue 11:
server CPU with ``--auth sigv4`` ≤ 1.15× without, per PutObject and per UpdateItem.
"""

from __future__ import annotations

import argparse
import contextlib
import operator
import statistics
import tempfile
import traceback
from pathlib import Path

from benchmarks.fanout import bench_fanout
from benchmarks.floor import start_commit_floor, start_floor
from benchmarks.server_cpu import OPERATIONS, bench_operations, paired
from benchmarks.targets import Target, start_ministack, start_moto, start_tidal, start_tidal_sigv4


def _fmt(value: float | None, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,.0f}{unit}"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--peers", type=Path, help="venv with moto[server] and ministack")
    parser.add_argument("--ops", type=int, default=500, help="operations per round")
    parser.add_argument("--rounds", type=int, default=15, help="rounds per operation (medians are reported)")
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--skip-fanout", action="store_true")
    args = parser.parse_args()

    # The floors: tidal's HTTP layer alone, then with one durable commit per write, to read
    # tidal's figures against.
    starters = [("floor", start_floor), ("commit floor", start_commit_floor), ("tidal", start_tidal),
                ("tidal sigv4", start_tidal_sigv4)]
    if args.peers:
        args.peers = args.peers.resolve()  # the peers run with a temporary directory as cwd
        starters += [("moto", lambda tmp: start_moto(args.peers, tmp)),
                     ("ministack", lambda tmp: start_ministack(args.peers, tmp))]

    results: dict[str, dict] = {}
    with contextlib.ExitStack() as stack:
        targets: list[Target] = []
        for name, start in starters:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"bench-{name.replace(' ', '-')}-")))
            try:
                target = start(tmp)
            except Exception as exc:  # noqa: BLE001 - a peer that won't start is reported, not fatal
                print(f"{name}: could not start: {exc}")
                continue
            stack.callback(target.stop)
            targets.append(target)

        # All servers are up (idle, each costs the others nothing measurable) and take turns.
        print(f"server CPU per operation: {args.rounds} rounds of {args.ops:,} per server, taking turns", flush=True)
        results = bench_operations(targets, args.ops, args.rounds, report=lambda line: print(line, flush=True))

        if not args.skip_fanout:
            for target in targets:
                if "floor" in target.name or target.name == "tidal sigv4":
                    continue
                if not target.runs_lambda:
                    results[target.name]["fanout"] = {"error": "its Lambda needs Docker"}
                    continue
                try:
                    results[target.name]["fanout"] = bench_fanout(target, args.objects, args.threads)
                except Exception as exc:  # noqa: BLE001
                    traceback.print_exc()
                    results[target.name]["fanout"] = {"error": f"{type(exc).__name__}: {exc}"}
                print(f"{target.name} fanout: {results[target.name]['fanout']}", flush=True)

    _print_summary(results)
    return 0


def _print_summary(results: dict[str, dict]) -> None:
    for name, f in results.items():
        for label, figures in f.items():
            if "error" in figures:
                print(f"{name} {label}: {figures['error']}")
    print()
    print(f"{'':<13}{'PutObject µs CPU':>18}{'ops/s':>8}{'UpdateItem µs CPU':>19}{'ops/s':>8}"
          f"{'fanout obj/s':>14}{'peak MB':>9}")
    for name, f in results.items():
        put, upd, fan = f.get("put_object", {}), f.get("update_item", {}), f.get("fanout", {})
        print(f"{name:<13}{_fmt(put.get('server_cpu_us')):>18}{_fmt(put.get('ops_per_s')):>8}"
              f"{_fmt(upd.get('server_cpu_us')):>19}{_fmt(upd.get('ops_per_s')):>8}"
              f"{_fmt(fan.get('objects_per_s')):>14}{_fmt(fan.get('peak_rss_mb')):>9}")
    print("(medians over rounds; the comparisons below pair each round's figures)")
    for name, f in results.items():
        spreads = []
        for label in OPERATIONS:
            rounds = sorted(f.get(label, {}).get("rounds") or ())
            if rounds:
                q1, _, q3 = statistics.quantiles(rounds, n=4) if len(rounds) > 1 else (rounds[0],) * 3
                spreads.append(f"{label} {rounds[0]:,.0f}–{rounds[-1]:,.0f} (middle half {q1:,.0f}–{q3:,.0f})")
        if spreads:
            print(f"{name} µs per round: " + "; ".join(spreads))
    tidal = results.get("tidal", {})
    for label in OPERATIONS:
        mine = tidal.get(label, {})
        for floor_name, what in (("floor", "HTTP floor"), ("commit floor", "HTTP + commit floor")):
            bare = results.get(floor_name, {}).get(label, {})
            above = paired(mine, bare, operator.sub)
            if above is not None:
                print(f"{label}: tidal spends {above:,.0f} µs above the {what}")
    for label in OPERATIONS:
        ratio = paired(results.get("tidal sigv4", {}).get(label, {}), tidal.get(label, {}), operator.truediv)
        if ratio is not None:
            print(f"{label}: tidal with --auth sigv4 spends {ratio:.3f}x tidal's server CPU without (target ≤ 1.15)")
    for name, f in results.items():
        if name.startswith("tidal") or "floor" in name:
            continue
        for label in OPERATIONS:
            ratio = paired(f.get(label, {}), tidal.get(label, {}), operator.truediv)
            if ratio is not None:
                print(f"{label}: {name} spends {ratio:.1f}x tidal's server CPU per op")
        mine, theirs = tidal.get("fanout", {}).get("objects_per_s"), f.get("fanout", {}).get("objects_per_s")
        if mine and theirs:
            print(f"fanout: tidal delivers {mine / theirs:.1f}x {name}'s objects/s")


if __name__ == "__main__":
    raise SystemExit(main())
