"""engine/__init__.py: which engine a process runs, and that the default is compiled."""
import ctypes
import importlib.machinery
import os
import subprocess
import sys

import pytest

import autograd
import engine
from engine._modules import ENGINE_MODULES

_EXTENSION = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def _run(env_value):
    env = dict(os.environ)
    env.pop("AUTOGRAD_ENGINE", None)
    if env_value is not None:
        env["AUTOGRAD_ENGINE"] = env_value
    code = "import autograd, engine; print(autograd.ENGINE, engine.graph.__file__)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)


def test_engine_reported_matches_modules():
    for name in ENGINE_MODULES:
        path = getattr(engine, name).__file__
        assert path.endswith(_EXTENSION) == (autograd.ENGINE == "compiled"), path


def test_default_is_compiled_when_built():
    done = _run(None)
    assert done.returncode == 0, done.stderr
    name, path = done.stdout.split()
    assert name == "compiled"
    assert path.endswith(_EXTENSION)


def test_python_engine_runs_the_sources():
    done = _run("python")
    assert done.returncode == 0, done.stderr
    name, path = done.stdout.split()
    assert name == "python"
    assert path.endswith("graph.py")


def test_unknown_engine_is_an_error():
    done = _run("fortran")
    assert done.returncode != 0
    assert "AUTOGRAD_ENGINE must be 'compiled' or 'python'" in done.stderr


@pytest.mark.skipif(autograd.ENGINE != "python", reason="checks the pure-Python engine")
def test_python_engine_uses_no_compiled_code():
    for name in ENGINE_MODULES:
        assert getattr(engine, name).__file__.endswith(".py")


def _thread_settings(**preset):
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")}
    env.update(preset)
    code = ("import os, sys; import autograd; "
            "print(os.environ['OMP_WAIT_POLICY'], os.environ['OPENBLAS_THREAD_TIMEOUT'])")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_idle_threads_sleep_by_default():
    # idle OpenMP and OpenBLAS threads spinning on the cores the other
    # library's threads need slow both down (engine/__init__.py)
    assert _thread_settings() == ["passive", "4"]


def test_users_thread_settings_win():
    assert _thread_settings(OMP_WAIT_POLICY="active",
                            OPENBLAS_THREAD_TIMEOUT="20") == ["active", "20"]


def _is_glibc():
    try:
        ctypes.CDLL(None).gnu_get_libc_version
    except (OSError, AttributeError):
        return False
    return sys.platform.startswith("linux")


# Page faults taken while making three 16 MB arrays, after three rounds of
# making and freeing them.
_REFAULTS = """
import resource
import autograd
import numpy as np

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

def arrays():
    return [np.ones(4_000_000, np.float32) for _ in range(3)]

for _ in range(3):
    arrays()
before = faults()
kept = arrays()
print(faults() - before)
"""


def _refaults(**preset):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES")}
    env.update(preset)
    done = subprocess.run([sys.executable, "-c", _REFAULTS], env=env, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@pytest.mark.skipif(not _is_glibc(), reason="a glibc malloc setting")
def test_freed_large_arrays_are_reused_without_page_faults():
    # glibc's defaults would return the freed arrays to the system, and each
    # new one would fault its pages in again (engine/__init__.py)
    assert _refaults() < 100


@pytest.mark.skipif(not _is_glibc(), reason="a glibc malloc setting")
def test_users_malloc_settings_win():
    # every array of 128 KiB or more mapped afresh: at least a fault per 2 MiB
    assert _refaults(MALLOC_MMAP_THRESHOLD_="131072") >= 24
