"""Time one workload on one engine in this process and print the result.

    python -m benchmarks.worker --engine python --workload chain [--workload q ...] --json

The engine of this library is fixed per process, so ``python -m benchmarks``
runs one worker per engine and workload, each with its own peak RSS
(--quick: one per engine, running all of its workloads, each with the peak
RSS since it started where Linux can reset the peak, to save PyTorch's
seconds of imports per workload).
Exits 0 with ``"status": "unavailable"`` when an optional baseline (PyTorch,
micrograd) is not installed or the workload has no version on the engine.
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

from benchmarks.workloads import ENGINES, OPTIONAL, WORKLOADS


def load(engine, threads=None):
    """Import the library that runs ``engine``: autograd, torch, numpy or micrograd.

    ``threads`` sets autograd's (its OpenMP loops; 1 by default) or torch's
    thread count; numpy's BLAS reads its count from the environment.
    autograd is imported before numpy, as its users' scripts may, so that
    its default for OpenBLAS's idle threads applies (engine/__init__.py).
    """
    if engine in ("compiled", "python"):
        os.environ["AUTOGRAD_ENGINE"] = engine   # read once, at autograd's import
        import autograd
        assert autograd.ENGINE == engine, autograd.ENGINE
        if threads:
            autograd.set_num_threads(threads)
        return autograd
    if engine == "torch":
        import torch
        if threads:
            torch.set_num_threads(threads)
        return torch
    if engine == "micrograd":
        import micrograd.engine
        return micrograd.engine
    import numpy
    return numpy


def median_seconds(function, setup, repeat, collect=False):
    """Median wall time of ``function(*args, **kwargs)`` with ``setup()`` untimed.

    One warm-up call first; the collector is off during each timed call, as
    in timeit, and the result is freed only after the clock stops.  With
    ``collect`` (micrograd, whose graphs are reference cycles) a full
    collection frees it before the next run; otherwise none runs there, as
    in a training loop: a collection between runs would start each one with
    cold caches.
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
        if collect:
            gc.collect()
        if run:
            times.append(elapsed)
    return statistics.median(times)


def paired_seconds(case, repeat):
    """Median forward and backward times, each backward on its own forward's graph.

    For graphs of a million nodes: each is built once per run, and there is
    no warm-up run.  Returns the times and the last run's result, for the checks.
    """
    forwards, backwards = [], []
    result = None
    for _ in range(repeat):
        del result
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        result = case.forward()
        middle = time.perf_counter()
        case.backward(result)
        end = time.perf_counter()
        gc.enable()
        forwards.append(middle - start)
        backwards.append(end - middle)
    return statistics.median(forwards), statistics.median(backwards), result


def _maxrss_mib():
    """The process's peak RSS so far, or since ``_reset_peak`` (Linux's VmHWM)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is in KiB on Linux and in bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _reset_peak():
    """Start the peak RSS afresh (Linux >= 4.0); elsewhere it stays the process's."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


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
    return {"numpy": numpy.__version__, "blas": name, "blas_threads": count,
            "blas_timeout": os.environ.get("OPENBLAS_THREAD_TIMEOUT", "default")}


def run(engine, workload, quick=False, threads=None):
    """Measure and check one workload; return the result as a JSON-able dict."""
    spec = WORKLOADS[workload]
    try:
        lib = load(engine, threads)
    except ImportError as error:
        if engine not in OPTIONAL:
            raise
        return {"engine": engine, "workload": workload, "status": "unavailable",
                "cell": "not installed", "reason": str(error)}
    module = spec.bench()
    size = spec.quick_size if quick else spec.size
    repeat = spec.quick_repeat if quick else spec.repeat
    gc.collect()
    _reset_peak()   # after an earlier workload in this process: its peak is not this one's
    rss_base = _maxrss_mib()

    try:
        case = module.make_case(lib, size)
    except NotImplementedError as error:
        return {"engine": engine, "workload": workload, "status": "unavailable",
                "cell": "no version", "reason": str(error)}
    if spec.paired:
        forward, backward, result = paired_seconds(case, repeat)
        rss_peak = _maxrss_mib()
        module.check_forward(case.value(result), size)
        module.check_backward(case.grads(), size)
        del result
    else:
        cycles = engine == "micrograd"
        forward = median_seconds(case.forward, lambda: ((), {}), repeat, cycles)
        backward = median_seconds(case.backward, case.graph, repeat, cycles)
        rss_peak = _maxrss_mib()   # before the checks, whose float64 references are not the workload's
        if hasattr(case, "reset"):
            # a training step's graph() resets the weights and computes the forward's loss
            args, kwargs = case.graph()
            module.check_forward(case.value(*args, **kwargs), size)
        else:
            module.check_forward(case.value(case.forward()), size)
            args, kwargs = case.graph()
        case.backward(*args, **kwargs)
        module.check_backward(case.grads(), size)

    info = {"python": platform.python_version(), **blas_info(threads)}
    if engine == "torch":
        info.update(torch=lib.__version__, torch_threads=lib.get_num_threads())
    elif engine in ("compiled", "python"):
        info.update(autograd_threads=lib.get_num_threads())
    elif engine == "micrograd":
        from importlib.metadata import version
        info.update(micrograd=version("micrograd"))
    return {"engine": engine, "workload": workload, "status": "ok", "size": size,
            "repeat": repeat, "forward_s": forward, "backward_s": backward,
            "rss_base_mib": rss_base, "rss_peak_mib": rss_peak, "info": info}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, required=True)
    parser.add_argument("--workload", choices=WORKLOADS, required=True, action="append",
                        help="repeatable: the workloads run one after another")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller sizes")
    parser.add_argument("--threads", type=int,
                        help="autograd.set_num_threads(N) or torch.set_num_threads(N)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    failed = False
    for workload in args.workload:
        try:
            result = run(args.engine, workload, args.quick, args.threads)
        except Exception as error:
            traceback.print_exc()
            message = (str(error).strip().splitlines() or [""])[0]
            reason = f"{type(error).__name__}: {message}".rstrip(": ")
            print(reason, file=sys.stderr, flush=True)
            result = {"engine": args.engine, "workload": workload, "status": "error",
                      "reason": reason}
            failed = True
        if args.json:
            print(json.dumps(result), flush=True)
        elif result["status"] == "ok":
            print(f"{args.engine} {workload}: forward {result['forward_s'] * 1e3:.3f} ms, "
                  f"backward {result['backward_s'] * 1e3:.3f} ms, "
                  f"peak RSS {result['rss_peak_mib']:.1f} MiB", flush=True)
        else:
            print(f"{args.engine} {workload}: {result['reason']}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
