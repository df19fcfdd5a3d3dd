"""Print one table comparing the engines on each workload.

    python -m benchmarks [--quick] [--markdown] [--threads N] [--workload W ...]

Rows are this library compiled, this library pure-Python
(AUTOGRAD_ENGINE=python), PyTorch, hand-written numpy and micrograd (the
scalar workloads only); each engine and workload is timed in its own
process (benchmarks.worker; --quick: one process per engine), all in this
one invocation, so the ratios to the compiled engine come from the same run.  An engine a workload has no
version for prints "no version" and is not run.  Exits 1 if any workload
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


def notes(results, quick, threads, names=None):
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
        "training steps: forward = the loss, backward = backward() plus the SGD step",
        "x compiled: time / the compiled engine's time in this run (above 1 is slower)",
        "peak RSS: the workload's peak resident memory (Linux's VmHWM, reset as it starts; "
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
    parser.add_argument("--workload", choices=WORKLOADS, action="append",
                        help="run only this workload (repeatable)")
    args = parser.parse_args(argv)
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
    results = []
    for (engine, _), workloads in runs.items():
        print(f"running {engine} {' '.join(workloads)} ...", file=sys.stderr, flush=True)
        results += run_worker(engine, workloads, args.quick, args.threads)
    results += [{"engine": engine, "workload": workload, "status": "unavailable",
                 "cell": "no version", "reason": "no version"}
                for workload in names for engine in ENGINES
                if engine not in WORKLOADS[workload].engines]
    order = {(workload, engine): i for i, (workload, engine) in
             enumerate((w, e) for w in names for e in ENGINES)}
    results.sort(key=lambda r: order[r["workload"], r["engine"]])

    print(format_table(rows(results, args.quick), args.markdown))
    print()
    for line in notes(results, args.quick, args.threads, names):
        print(f"- {line}" if args.markdown else line)
    failed = [r for r in results if r["status"] == "error"]
    for r in failed:
        print(f"error: {r['engine']} {r['workload']}: {r['reason']} (traceback: python -m "
              f"benchmarks.worker --engine {r['engine']} --workload {r['workload']})",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
