"""Print one table comparing the engines on each workload.

    python -m benchmarks [--quick] [--markdown] [--threads N] [--rounds N] [--workload W ...]

Rows are this library compiled, this library pure-Python
(AUTOGRAD_ENGINE=python), PyTorch, hand-written numpy and micrograd (the
scalar workloads only); each engine and workload is timed in its own
process (benchmarks.worker; --quick: one process per engine), all in this
one invocation, so the ratios to the compiled engine come from the same run.
With --rounds N the engines' processes for a workload take turns N times
and each engine keeps its best round: on a shared machine a slow spell then
disturbs one round of one engine, not the ratio.  An engine a workload has
no version for prints "no version" and is not run.  Exits 1 if any workload
fails, naming it.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

from benchmarks.workloads import ENGINES, QUICK_REPEAT, WORKLOADS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ("workload", "engine", "forward", "x compiled", "backward", "x compiled",
           "peak RSS MiB (+over imports)")


def run_worker(engine, workloads, quick, threads):
    """Run one worker process on ``workloads``; return a result for each, an
    error with the worker's last line of stderr for any it did not report."""
    command = [sys.executable, "-m", "benchmarks.worker", "--engine", engine, "--json"]
    for workload in workloads:
        command += ["--workload", workload]
    command += ["--quick"] * quick + ["--threads", str(threads)] * bool(threads)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    reported = {}
    for line in done.stdout.splitlines():
        try:
            result = json.loads(line)
        except ValueError:
            continue
        if isinstance(result, dict) and result.get("workload") in workloads:
            reported[result["workload"]] = result
    lines = (done.stderr or done.stdout or f"exit status {done.returncode}").strip().splitlines()
    return [reported.get(workload) or {"engine": engine, "workload": workload,
                                       "status": "error", "reason": lines[-1]}
            for workload in workloads]


def best_round(results):
    """One engine's results for one workload over the rounds, as one result:
    the fastest forward and backward (a shared machine only ever slows a run
    down), the highest peak memory; an error if any round failed."""
    failed = [r for r in results if r["status"] != "ok"]
    if failed:
        return failed[0]
    best = dict(min(results, key=lambda r: r["forward_s"]))
    best["backward_s"] = min(r["backward_s"] for r in results)
    peak = max(results, key=lambda r: r["rss_peak_mib"])
    best.update(rss_peak_mib=peak["rss_peak_mib"], rss_base_mib=peak["rss_base_mib"],
                rounds=len(results))
    return best


def rows(results, quick=False):
    """The table's rows: one per workload and engine, times scaled, ratios to compiled."""
    table = []
    for workload, spec in WORKLOADS.items():
        mine = [r for r in results if r["workload"] == workload]
        if not mine:
            continue
        base = next((r for r in mine if r["engine"] == "compiled" and r["status"] == "ok"), None)
        for r in mine:
            cells = [spec.title(quick), r["engine"]]
            if r["status"] != "ok":
                cell = r.get("cell", "not installed") if r["status"] == "unavailable" else "ERROR"
                table.append(cells + [cell, "", "", "", ""])
                continue
            for key, unit in (("forward_s", spec.forward_unit),
                              ("backward_s", spec.backward_unit)):
                cells.append(f"{r[key] * spec.scale / spec.divisor(r['size']):.3f} {unit}")
                cells.append(f"{r[key] / base[key]:.2f}x" if base else "-")
            cells.append(f"{r['rss_peak_mib']:.1f} (+{r['rss_peak_mib'] - r['rss_base_mib']:.1f})")
            table.append(cells)
    return table


def format_table(table, markdown=False):
    if markdown:
        lines = [COLUMNS, ["---"] * len(COLUMNS)] + table
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)
    widths = [max(len(str(row[i])) for row in [COLUMNS] + table) for i in range(len(COLUMNS))]
    return "\n".join("  ".join(cell.ljust(width) if i < 2 else cell.rjust(width)
                               for i, (cell, width) in enumerate(zip(row, widths))).rstrip()
                     for row in [COLUMNS] + table)


def _info(results, engine):
    return next((r["info"] for r in results if r["engine"] == engine and r["status"] == "ok"),
                None)


def notes(results, quick, threads, names=None, rounds=1):
    """Lines describing the run: date, machine, versions, threads, method."""
    names = list(names or WORKLOADS)
    info = [r["info"] for r in results if r["status"] == "ok"]
    numpy_text = (f"numpy {info[0]['numpy']} ({info[0]['blas']}, BLAS threads: "
                  f"{info[0]['blas_threads']})" if info else "")
    by = "set by --threads" if threads else "its default"
    mine = _info(results, "compiled") or _info(results, "python")
    mine_text = (f"this engine's threads: {mine['autograd_threads']} ({by}), "
                 f"OPENBLAS_THREAD_TIMEOUT {mine['blas_timeout']}" if mine
                 else "this engine not run")
    torch = _info(results, "torch")
    torch_text = (f"torch {torch['torch']} (threads: {torch['torch_threads']}, {by})" if torch
                  else "torch not installed")
    micrograd = _info(results, "micrograd")
    micrograd_text = (f"micrograd {micrograd['micrograd']} (float64 scalars)" if micrograd
                      else "micrograd not installed or not run")
    specs = {name: WORKLOADS[name] for name in names}
    if quick:
        counts = sorted({spec.quick_repeat for spec in specs.values()}, reverse=True)
        repeat = (f"{' or '.join(map(str, counts))} runs (QUICK: smaller sizes; "
                  "a smoke test, not a measurement)")
    else:
        repeat = ", ".join(f"{spec.repeat} ({name})" for name, spec in specs.items()) + " runs"
    return [
        f"date {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; "
        f"{platform.platform()}, {os.cpu_count()} CPUs",
        f"Python {platform.python_version()}, {mine_text}, {numpy_text}, {torch_text}, "
        f"{micrograd_text}",
        f"time: median of {repeat} after one warm-up call (none for backward scaling: each "
        "backward runs on the graph its timed forward built), gc disabled during each timed "
        "call (as timeit does); chain and backward scaling per op forward and per node "
        "backward, the rest per call; "
        "training steps: forward = the loss, backward = backward() plus the SGD step"
        + ("" if rounds == 1 else f"; each engine's fastest of {rounds} rounds (--rounds), "
           "the engines' processes taking turns in each"),
        "x compiled: time / the compiled engine's time in this run (above 1 is slower)",
        "peak RSS: the workload's peak resident memory"
        + ("" if rounds == 1 else " (the highest round)")
        + " (Linux's VmHWM, reset as it starts; "
        + ("QUICK: one process per engine runs its workloads in turn" if quick
           else "each workload in its own process")
        + ") (+ its rise over the resident memory it started with, after the imports)",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: at most {QUICK_REPEAT} runs, smaller sizes, no 10^6-node or batch-1 ResNet rows")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--threads", type=int,
                        help="thread count for this engine, PyTorch and numpy's BLAS "
                             "(default: theirs; this engine's is 1)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="time each workload this many times, the engines taking turns, "
                             "and keep each engine's best round (default 1)")
    parser.add_argument("--workload", choices=WORKLOADS, action="append",
                        help="run only this workload (repeatable)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.threads:
        # inherited by the workers; read by the BLAS and OpenMP runtimes at load
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.threads)

    names = [name for name in args.workload or WORKLOADS
             if not args.quick or WORKLOADS[name].quick or args.workload]
    # --quick: one process per engine (PyTorch takes seconds to import), else per workload too
    runs = {}
    for workload in names:
        for engine in ENGINES:
            if engine in WORKLOADS[workload].engines:
                runs.setdefault((engine, None if args.quick else workload), []).append(workload)
    # the rounds of one workload run back to back (all workloads at once
    # under --quick), so that each round's engines see the same machine
    batches = [list(runs.items())] if args.quick else [
        [(key, workloads) for key, workloads in runs.items() if key[1] == name]
        for name in names]
    rounds = {}
    for batch in batches:
        for round_number in range(args.rounds):
            for (engine, _), workloads in batch:
                print(f"running {engine} {' '.join(workloads)}"
                      + (f" (round {round_number + 1})" if args.rounds > 1 else "") + " ...",
                      file=sys.stderr, flush=True)
                for result in run_worker(engine, workloads, args.quick, args.threads):
                    rounds.setdefault((engine, result["workload"]), []).append(result)
    results = [best_round(each) for each in rounds.values()]
    results += [{"engine": engine, "workload": workload, "status": "unavailable",
                 "cell": "no version", "reason": "no version"}
                for workload in names for engine in ENGINES
                if engine not in WORKLOADS[workload].engines]
    order = {(workload, engine): i for i, (workload, engine) in
             enumerate((w, e) for w in names for e in ENGINES)}
    results.sort(key=lambda r: order[r["workload"], r["engine"]])

    print(format_table(rows(results, args.quick), args.markdown))
    print()
    for line in notes(results, args.quick, args.threads, names, args.rounds):
        print(f"- {line}" if args.markdown else line)
    failed = [r for r in results if r["status"] == "error"]
    for r in failed:
        print(f"error: {r['engine']} {r['workload']}: {r['reason']} (traceback: python -m "
              f"benchmarks.worker --engine {r['engine']} --workload {r['workload']})",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
