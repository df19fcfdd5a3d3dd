"""benchmarks/: the comparison command runs and prints its table; the suites' results hold.

The subprocesses start together (one fixture) so the slow parts overlap;
nothing here asserts a time.
"""
import importlib.machinery
import importlib.util
import os
import re
import subprocess
import sys

import pytest

from benchmarks.__main__ import COLUMNS, best_round, format_table, rows
from benchmarks.workloads import ENGINES, WORKLOADS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAVE_TORCH = importlib.util.find_spec("torch") is not None
HAVE_MICROGRAD = importlib.util.find_spec("micrograd") is not None
COMPILED_BUILT = any(
    name.startswith("graph.") and name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    for name in os.listdir(os.path.join(ROOT, "engine")))
LABELS = {"chain": "chain, 3,000 ops on (16,)", "chain0": "chain, 3,000 ops on ()",
          "micromlp": "micrograd MLP step, 100 points, 2-16-16-1", "q": "Q, 400,000 float32",
          "mlp": "MLP step, batch 16, 784-512-512-10", "resnet1": "ResNet-18 step, (1, 3, 64, 64)",
          "depth4": "backward scaling: chain of 10,000 nodes on ()",
          "depth5": "backward scaling: chain of 100,000 nodes on ()",
          "fanout4": "backward scaling: one leaf used 10,000 times"}
QUICK = [name for name, spec in WORKLOADS.items() if spec.quick]
OPTIONAL = {"torch": HAVE_TORCH, "micrograd": HAVE_MICROGRAD}


def _start(args, env=None):
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start every subprocess at once; each test waits for its own."""
    broken = tmp_path_factory.mktemp("broken_torch")
    (broken / "torch.py").write_text("raise RuntimeError('torch is broken here')\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(broken), ROOT]))
    started = {"suites": _start(["-m", "pytest", "benchmarks", "-q", "-p", "no:cacheprovider",
                                 "--benchmark-disable"])}
    if COMPILED_BUILT:
        started["quick"] = _start(["-m", "benchmarks", "--quick"])
        started["broken"] = _start(["-m", "benchmarks", "--quick", "--markdown",
                                    "--workload", "chain", "--workload", "chain0"], env)
        started["threads"] = _start(["-m", "benchmarks", "--quick", "--threads", "2",
                                     "--rounds", "2", "--workload", "chain0"])
    yield {name: process.communicate(timeout=300) + (process.returncode,)
           for name, process in started.items()}


def _table(stdout):
    """The table's header and rows, split on the runs of spaces between columns."""
    lines = stdout.split("\n\n")[0].splitlines()
    return [re.split(r" {2,}", line.strip()) for line in lines]


needs_build = pytest.mark.skipif(not COMPILED_BUILT, reason="the compiled engine is not built")


@needs_build
def test_quick_command_prints_every_workload_and_engine(runs):
    stdout, stderr, code = runs["quick"]
    assert code == 0, stderr
    header, *body = _table(stdout)
    assert tuple(header) == COLUMNS
    assert sorted(QUICK) == sorted(LABELS)
    assert [row[:2] for row in body] == [[LABELS[w], e] for w in QUICK for e in ENGINES]
    for workload, row in zip((w for w in QUICK for _ in ENGINES), body):
        if row[1] not in WORKLOADS[workload].engines:
            assert row[2:] == ["no version"], row
            continue
        if not OPTIONAL.get(row[1], True):
            assert row[2:] == ["not installed"], row
            continue
        assert len(row) == len(COLUMNS), row
        per_node = row[0].startswith(("chain", "backward scaling"))
        unit = ("us/op", "us/node") if per_node else ("ms", "ms")
        assert row[2].endswith(unit[0]) and row[4].endswith(unit[1]), row
        assert float(row[2].split()[0]) > 0 and float(row[4].split()[0]) > 0
        assert re.fullmatch(r"\d+\.\d\d+x", row[3]) and re.fullmatch(r"\d+\.\d\d+x", row[5])
        assert re.fullmatch(r"\d+\.\d \(\+-?\d+\.\d\)", row[6]), row
        if row[1] == "compiled":
            assert row[3] == row[5] == "1.00x"
    notes = stdout.split("\n\n")[1]
    for word in ("CPUs", "Python 3", "numpy ", "BLAS threads", "QUICK", "median of 3 or 1",
                 "the SGD step", "this engine's threads: 1 (its default)", "VmHWM",
                 "date 2"):
        assert word in notes
    assert ("torch 2" in notes) == HAVE_TORCH
    assert ("micrograd 0" in notes) == HAVE_MICROGRAD


@needs_build
def test_threads_sets_this_engines_thread_count(runs):
    stdout, stderr, code = runs["threads"]
    assert code == 0, stderr
    notes = stdout.split("\n\n")[1]
    assert "this engine's threads: 2 (set by --threads)" in notes, notes
    assert "BLAS threads: " in notes
    assert "fastest of 2 rounds" in notes, notes
    # every engine the workload lists runs twice (one not installed reports so)
    assert stderr.count("(round 2)") == len(WORKLOADS["chain0"].engines), stderr
    if HAVE_TORCH:
        assert "(threads: 2, set by --threads)" in notes, notes


@needs_build
def test_failing_workload_exits_nonzero_and_is_named(runs):
    stdout, stderr, code = runs["broken"]
    assert code == 1
    # one torch process ran both workloads; each is reported
    assert "error: torch chain: RuntimeError: torch is broken here" in stderr
    assert "error: torch chain0: RuntimeError: torch is broken here" in stderr
    lines = stdout.splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |"
    assert lines[2].startswith(f"| {LABELS['chain']} | compiled | ")
    assert f"| {LABELS['chain']} | torch | ERROR |" in stdout
    assert f"| {LABELS['chain0']} | torch | ERROR |" in stdout
    assert re.search(rf"\| {re.escape(LABELS['chain0'])} \| compiled \| \d", stdout)
    assert "Q," not in stdout


def test_benchmark_suites_pass_as_tests(runs):
    stdout, stderr, code = runs["suites"]
    assert code == 0, stdout + stderr
    # 41 tests; without torch 13 skip, without micrograd 4, and ResNet has no numpy version
    skipped = 1 + 13 * (not HAVE_TORCH) + 4 * (not HAVE_MICROGRAD)
    expected = f"{41 - skipped} passed, {skipped} skipped"
    assert expected in stdout.splitlines()[-1], stdout


DEPTH6 = "backward scaling: chain of 1,000,000 nodes on ()"


def test_rows_scale_times_and_divide_by_the_compiled_engine():
    def ok(engine, workload, forward, backward, size=None):
        return {"engine": engine, "workload": workload, "status": "ok", "size": size,
                "forward_s": forward, "backward_s": backward,
                "rss_base_mib": 40.0, "rss_peak_mib": 52.5}

    results = [
        ok("compiled", "chain", 0.003, 0.006), ok("python", "chain", 0.009, 0.003),
        {"engine": "torch", "workload": "chain", "status": "unavailable", "reason": "no"},
        ok("compiled", "q", 0.002, 0.004, 4_000_000),
        {"engine": "numpy", "workload": "q", "status": "error", "reason": "boom"},
        ok("compiled", "depth6", 2.0, 3.0, 1_000_000), ok("torch", "depth6", 8.0, 1.5, 1_000_000),
        {"engine": "numpy", "workload": "depth6", "status": "unavailable", "cell": "no version",
         "reason": "no version"},
    ]
    assert rows(results) == [
        [LABELS["chain"], "compiled", "1.000 us/op", "1.00x", "2.000 us/node", "1.00x",
         "52.5 (+12.5)"],
        [LABELS["chain"], "python", "3.000 us/op", "3.00x", "1.000 us/node", "0.50x",
         "52.5 (+12.5)"],
        [LABELS["chain"], "torch", "not installed", "", "", "", ""],
        ["Q, 4,000,000 float32", "compiled", "2.000 ms", "1.00x", "4.000 ms", "1.00x",
         "52.5 (+12.5)"],
        ["Q, 4,000,000 float32", "numpy", "ERROR", "", "", "", ""],
        # per op and per node: divided by the size
        [DEPTH6, "compiled", "2.000 us/op", "1.00x", "3.000 us/node", "1.00x", "52.5 (+12.5)"],
        [DEPTH6, "torch", "8.000 us/op", "4.00x", "1.500 us/node", "0.50x", "52.5 (+12.5)"],
        [DEPTH6, "numpy", "no version", "", "", "", ""],
    ]
    markdown = format_table(rows(results)[:1], markdown=True).splitlines()
    assert markdown[1] == "| " + " | ".join(["---"] * len(COLUMNS)) + " |"
    assert markdown[2] == ("| chain, 3,000 ops on (16,) | compiled | 1.000 us/op | 1.00x "
                           "| 2.000 us/node | 1.00x | 52.5 (+12.5) |")


def test_best_round_keeps_the_fastest_times_and_the_highest_memory():
    def ok(forward, backward, peak, base):
        return {"engine": "torch", "workload": "mlp", "status": "ok", "size": 128,
                "forward_s": forward, "backward_s": backward,
                "rss_base_mib": base, "rss_peak_mib": peak, "info": {"round": forward}}

    best = best_round([ok(0.003, 0.004, 50.0, 40.0), ok(0.002, 0.009, 60.0, 41.0),
                       ok(0.005, 0.005, 55.0, 42.0)])
    assert best["forward_s"] == 0.002 and best["backward_s"] == 0.004
    assert best["rss_peak_mib"] == 60.0 and best["rss_base_mib"] == 41.0
    assert best["rounds"] == 3 and best["info"] == {"round": 0.002}
    error = {"engine": "torch", "workload": "mlp", "status": "error", "reason": "boom"}
    assert best_round([ok(0.003, 0.004, 50.0, 40.0), error]) is error


def test_no_version_in_the_table_is_what_make_case_says():
    """The table skips the engines a workload does not list; their make_case refuses them."""
    import types

    import numpy as np

    fake_micrograd = types.ModuleType("micrograd.engine")
    for name, spec in WORKLOADS.items():
        size = spec.quick_size
        for engine, lib in (("numpy", np), ("micrograd", fake_micrograd)):
            if engine in spec.engines:
                if engine == "numpy" or HAVE_MICROGRAD:
                    real = lib if engine == "numpy" else importlib.import_module("micrograd.engine")
                    assert spec.bench().make_case(real, size) is not None
                continue
            with pytest.raises(NotImplementedError):
                spec.bench().make_case(lib, size)
    assert set(ENGINES) == {"compiled", "python", "torch", "numpy", "micrograd"}
    assert all({"compiled", "python", "torch"} <= set(spec.engines) for spec in WORKLOADS.values())
