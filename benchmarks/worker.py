"""Time one workload on one engine in this process and print the result.

    python -m benchmarks.worker --engine python --workload chain --json

The engine of this library is fixed per process, so ``python -m benchmarks``
runs one worker per engine and workload; each also gets its own peak RSS.
Exits 0 with ``"status": "unavailable"`` when PyTorch is not installed.
"""
import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import time
import traceback

from benchmarks.workloads import QUICK_REPEAT, WORKLOADS

ENGINES = ("compiled", "python", "torch", "numpy")


def load(engine, threads=None):
    """Import the library that runs ``engine``: autograd, torch or numpy."""
    import numpy
    if engine in ("compiled", "python"):
        os.environ["AUTOGRAD_ENGINE"] = engine   # read once, at autograd's import
        import autograd
        assert autograd.ENGINE == engine, autograd.ENGINE
        return autograd
    if engine == "torch":
        import torch
        if threads:
            torch.set_num_threads(threads)
        return torch
    return numpy


def median_seconds(function, setup, repeat):
    """Median wall time of ``function(*args, **kwargs)`` with ``setup()`` untimed.

    One warm-up call first; the collector is off during each timed call, as
    in timeit, and the result is freed only after the clock stops.
    """
    times = []
    for run in range(repeat + 1):
        args, kwargs = setup()
        gc.disable()
        start = time.perf_counter()
        result = function(*args, **kwargs)
        elapsed = time.perf_counter() - start
        gc.enable()
        del result, args, kwargs
        if run:
            times.append(elapsed)
    return statistics.median(times)


def _maxrss_mib():
    # ru_maxrss is in KiB on Linux and in bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def blas_info(threads):
    """numpy's BLAS and its thread count: threadpoolctl's, else --threads, else 'unknown'."""
    import numpy
    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:   # numpy < 1.26 has no mode="dicts"
        name = "BLAS"
    try:
        from threadpoolctl import threadpool_info
        counts = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        count = str(counts[0]) if counts else "unknown"
    except ImportError:
        count = f"{threads} (by environment)" if threads else "unknown"
    return {"numpy": numpy.__version__, "blas": name, "blas_threads": count}


def run(engine, workload, quick=False, threads=None):
    """Measure and check one workload; return the result as a JSON-able dict."""
    spec = WORKLOADS[workload]
    try:
        lib = load(engine, threads)
    except ImportError as error:
        if engine != "torch":
            raise
        return {"engine": engine, "workload": workload, "status": "unavailable",
                "cell": "not installed", "reason": str(error)}
    module = spec.bench()
    size = spec.quick_size if quick else spec.size
    repeat = QUICK_REPEAT if quick else spec.repeat
    rss_base = _maxrss_mib()

    try:
        case = module.make_case(lib, size)
    except NotImplementedError as error:
        return {"engine": engine, "workload": workload, "status": "unavailable",
                "cell": "no version", "reason": str(error)}
    forward = median_seconds(case.forward, lambda: ((), {}), repeat)
    backward = median_seconds(case.backward, case.graph, repeat)
    rss_peak = _maxrss_mib()   # before the checks, whose float64 references are not the workload's
    if hasattr(case, "reset"):   # training steps: back to the initial weights
        case.reset()
    module.check_forward(case.value(case.forward()), size)
    args, kwargs = case.graph()
    case.backward(*args, **kwargs)
    module.check_backward(case.grads(), size)

    info = {"python": platform.python_version(), **blas_info(threads)}
    if engine == "torch":
        info.update(torch=lib.__version__, torch_threads=lib.get_num_threads())
    return {"engine": engine, "workload": workload, "status": "ok", "size": size,
            "repeat": repeat, "forward_s": forward, "backward_s": backward,
            "rss_base_mib": rss_base, "rss_peak_mib": rss_peak, "info": info}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, required=True)
    parser.add_argument("--workload", choices=WORKLOADS, required=True)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller Q")
    parser.add_argument("--threads", type=int, help="torch.set_num_threads(N)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        result = run(args.engine, args.workload, args.quick, args.threads)
    except Exception as error:
        traceback.print_exc()
        # the last line is what `python -m benchmarks` reports
        message = (str(error).strip().splitlines() or [""])[0]
        print(f"{type(error).__name__}: {message}".rstrip(": "), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result))
    elif result["status"] == "ok":
        print(f"{args.engine} {args.workload}: forward {result['forward_s'] * 1e3:.3f} ms, "
              f"backward {result['backward_s'] * 1e3:.3f} ms, "
              f"peak RSS {result['rss_peak_mib']:.1f} MiB")
    else:
        print(f"{args.engine} {args.workload}: {result['reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
