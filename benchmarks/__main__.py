"""Print one table comparing the engines on each workload.

    python -m benchmarks [--quick] [--markdown] [--threads N]

Rows are this library compiled, this library pure-Python
(AUTOGRAD_ENGINE=python), PyTorch and hand-written numpy; each engine and
workload is timed in its own process (benchmarks.worker), all in this one
invocation, so the ratios to the compiled engine come from the same run.
Exits 1 if any workload fails, naming it.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

from benchmarks.worker import ENGINES
from benchmarks.workloads import QUICK_REPEAT, WORKLOADS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ("workload", "engine", "forward", "x compiled", "backward", "x compiled",
           "peak RSS MiB (+over imports)")


def run_worker(engine, workload, quick, threads):
    """Run one worker process; return its result, or an error with its stderr."""
    command = [sys.executable, "-m", "benchmarks.worker", "--engine", engine,
               "--workload", workload, "--json"]
    command += ["--quick"] * quick + ["--threads", str(threads)] * bool(threads)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    try:
        if done.returncode == 0:
            return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        pass
    lines = (done.stderr or done.stdout or f"exit status {done.returncode}").strip().splitlines()
    return {"engine": engine, "workload": workload, "status": "error", "reason": lines[-1]}


def rows(results, quick=False):
    """The table's rows: one per workload and engine, times scaled, ratios to compiled."""
    table = []
    for workload, spec in WORKLOADS.items():
        mine = [r for r in results if r["workload"] == workload]
        base = next((r for r in mine if r["engine"] == "compiled" and r["status"] == "ok"), None)
        for r in mine:
            cells = [spec.title(quick), r["engine"]]
            if r["status"] != "ok":
                cell = r.get("cell", "not installed") if r["status"] == "unavailable" else "ERROR"
                table.append(cells + [cell, "", "", "", ""])
                continue
            for key, unit in (("forward_s", spec.forward_unit),
                              ("backward_s", spec.backward_unit)):
                cells.append(f"{r[key] * spec.scale / spec.per:.3f} {unit}")
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


def notes(results, quick, threads):
    """Lines describing the run: date, machine, versions, threads, method."""
    info = [r["info"] for r in results if r["status"] == "ok"]
    numpy_text = (f"numpy {info[0]['numpy']} ({info[0]['blas']}, BLAS threads: "
                  f"{info[0]['blas_threads']})" if info else "")
    torch = next((r["info"] for r in results if r["engine"] == "torch" and r["status"] == "ok"),
                 None)
    torch_text = (f"torch {torch['torch']} (threads: {torch['torch_threads']}, "
                  f"{'set by --threads' if threads else 'its default'})" if torch
                  else "torch not installed")
    repeat = (f"{QUICK_REPEAT} runs (QUICK: smaller sizes; a smoke test, not a measurement)"
              if quick else ", ".join(f"{spec.repeat} ({name})" for name, spec in WORKLOADS.items())
              + " runs")
    return [
        f"date {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; "
        f"{platform.platform()}, {os.cpu_count()} CPUs",
        f"Python {platform.python_version()}, {numpy_text}, {torch_text}",
        f"time: median of {repeat} after one warm-up call, gc disabled during each timed "
        "call (as timeit does); chain per op forward and per node backward, the rest per call; "
        "training steps: forward = the loss, backward = backward() plus the SGD step",
        "x compiled: time / the compiled engine's time in this run (above 1 is slower)",
        "peak RSS: ru_maxrss of the workload's own process (+ its rise over the baseline "
        "after imports)",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: {QUICK_REPEAT} runs, smaller sizes")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--threads", type=int,
                        help="thread count for PyTorch and numpy's BLAS (default: theirs)")
    parser.add_argument("--workload", choices=WORKLOADS, action="append",
                        help="run only this workload (repeatable)")
    args = parser.parse_args(argv)
    if args.threads:
        # inherited by the workers; read by the BLAS and OpenMP runtimes at load
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[name] = str(args.threads)

    results = []
    for workload in args.workload or WORKLOADS:
        for engine in ENGINES:
            print(f"running {engine} {workload} ...", file=sys.stderr, flush=True)
            results.append(run_worker(engine, workload, args.quick, args.threads))

    print(format_table(rows(results, args.quick), args.markdown))
    print()
    for line in notes(results, args.quick, args.threads):
        print(f"- {line}" if args.markdown else line)
    failed = [r for r in results if r["status"] == "error"]
    for r in failed:
        print(f"error: {r['engine']} {r['workload']}: {r['reason']} (traceback: python -m "
              f"benchmarks.worker --engine {r['engine']} --workload {r['workload']})",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
