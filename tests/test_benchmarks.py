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

from benchmarks.__main__ import COLUMNS, format_table, rows
from benchmarks.workloads import WORKLOADS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAVE_TORCH = importlib.util.find_spec("torch") is not None
COMPILED_BUILT = any(
    name.startswith("graph.") and name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    for name in os.listdir(os.path.join(ROOT, "engine")))
LABELS = {"chain": "chain, 3,000 ops on (16,)", "q": "Q, 400,000 float32",
          "mlp": "MLP step, batch 16, 784-512-512-10", "resnet1": "ResNet-18 step, (1, 3, 64, 64)",
          "resnet16": "ResNet-18 step, (2, 3, 64, 64)"}
ENGINES = ("compiled", "python", "torch", "numpy")


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
                                    "--workload", "chain"], env)
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
    assert [row[:2] for row in body] == [[LABELS[w], e] for w in WORKLOADS for e in ENGINES]
    for row in body:
        if row[1] == "torch" and not HAVE_TORCH:
            assert row[2] == "not installed"
            continue
        if row[1] == "numpy" and row[0].startswith("ResNet"):
            assert row[2] == "no version"
            continue
        assert len(row) == len(COLUMNS), row
        unit = ("us/op", "us/node") if row[0].startswith("chain") else ("ms", "ms")
        assert row[2].endswith(unit[0]) and row[4].endswith(unit[1]), row
        assert float(row[2].split()[0]) > 0 and float(row[4].split()[0]) > 0
        assert re.fullmatch(r"\d+\.\d\d+x", row[3]) and re.fullmatch(r"\d+\.\d\d+x", row[5])
        assert re.fullmatch(r"\d+\.\d \(\+-?\d+\.\d\)", row[6]), row
        if row[1] == "compiled":
            assert row[3] == row[5] == "1.00x"
    notes = stdout.split("\n\n")[1]
    for word in ("CPUs", "Python 3", "numpy ", "BLAS threads", "QUICK", "median of 3",
                 "the SGD step",
                 "date 2"):
        assert word in notes
    assert ("its default)" in notes) == HAVE_TORCH


@needs_build
def test_failing_workload_exits_nonzero_and_is_named(runs):
    stdout, stderr, code = runs["broken"]
    assert code == 1
    assert "error: torch chain: RuntimeError: torch is broken here" in stderr
    lines = stdout.splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |"
    assert lines[2].startswith(f"| {LABELS['chain']} | compiled | ")
    assert f"| {LABELS['chain']} | torch | ERROR |" in stdout
    assert "Q," not in stdout


def test_benchmark_suites_pass_as_tests(runs):
    stdout, stderr, code = runs["suites"]
    assert code == 0, stdout + stderr
    expected = "20 passed, 1 skipped" if HAVE_TORCH else "13 passed, 8 skipped"
    assert expected in stdout.splitlines()[-1], stdout


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
    ]
    markdown = format_table(rows(results)[:1], markdown=True).splitlines()
    assert markdown[1] == "| " + " | ".join(["---"] * len(COLUMNS)) + " |"
    assert markdown[2] == ("| chain, 3,000 ops on (16,) | compiled | 1.000 us/op | 1.00x "
                           "| 2.000 us/node | 1.00x | 52.5 (+12.5) |")
