"""Collect ``bench_*.py`` when benchmarks/ is named on the command line.

The repository's ``testpaths`` is ``tests``, so a bare ``pytest`` never runs
these; ``pytest benchmarks --benchmark-enable`` times them and
``pytest benchmarks`` (the config passes --benchmark-disable) runs each once
as a test of its results.
"""
import numpy as np
import pytest

import autograd


def pytest_collect_file(file_path, parent):
    # a file named on the command line is collected by pytest already
    if (file_path.name.startswith("bench_") and file_path.suffix == ".py"
            and not parent.session.isinitpath(file_path)):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_report_header(config):
    return f"autograd engine: {autograd.ENGINE}"


def _library(name):
    if name in ("torch", "micrograd"):   # the optional baselines
        return pytest.importorskip("micrograd.engine" if name == "micrograd" else name)
    return autograd if name == "cygrad" else np


@pytest.fixture(params=["cygrad", "torch", "numpy"],
                ids=[f"cygrad-{autograd.ENGINE}", "torch", "numpy"])
def backend(request):
    """The library a benchmark runs on; the engine is this process's (AUTOGRAD_ENGINE)."""
    return _library(request.param)


@pytest.fixture(params=["cygrad", "torch", "numpy", "micrograd"],
                ids=[f"cygrad-{autograd.ENGINE}", "torch", "numpy", "micrograd"])
def scalar_backend(request):
    """``backend`` plus micrograd, for the workloads it has a version of."""
    return _library(request.param)


@pytest.fixture(params=["cygrad", "torch"], ids=[f"cygrad-{autograd.ENGINE}", "torch"])
def graph_backend(request):
    """The libraries with a graph: the node-count workloads have no numpy version."""
    return _library(request.param)
