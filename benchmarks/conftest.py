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


@pytest.fixture(params=["cygrad", "torch", "numpy"],
                ids=[f"cygrad-{autograd.ENGINE}", "torch", "numpy"])
def backend(request):
    """The library a benchmark runs on; the engine is this process's (AUTOGRAD_ENGINE)."""
    if request.param == "torch":
        return pytest.importorskip("torch")
    return autograd if request.param == "cygrad" else np
