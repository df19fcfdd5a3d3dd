"""The engine: tensor base type, graph, traversal, grad mode and ops.

Each module is one source file in Cython's pure Python mode (``name.py``
plus an augmenting ``name.pxd``).  ``pip install`` compiles them; this
package then loads the compiled modules.  With ``AUTOGRAD_ENGINE=python``
it executes the same ``.py`` sources as ordinary Python instead, which gives
the pure-Python engine: the same traversal, accumulation and formulas, with
numpy doing all the arithmetic.  The choice is made once per process.

A compiled module shadows its ``.py`` at import, so the Python engine is
loaded deliberately, file by file, under the same module names.
"""
import ctypes
import importlib
import importlib.util
import os
import sys

from engine._modules import ENGINE_MODULES

_REQUESTED = os.environ.get("AUTOGRAD_ENGINE", "compiled").strip().lower() or "compiled"

# The compiled loops' OpenMP threads, once a parallel region ends, would
# otherwise spin for milliseconds waiting for the next one, on the cores
# numpy's BLAS then needs: a ResNet-18 step on two cores ran 2.5x slower.
# libgomp reads this when the first compiled module loads it, just below;
# a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")
# numpy's OpenBLAS threads do the same after each product, for about 0.1 s,
# which halves the speed of the compiled loops that follow on two cores
# (im2col, batch norm, the SGD update: a two-thread ResNet-18 step takes
# 1.2x as long).  Its shortest timeout puts them to sleep at once; waking
# them for the next product costs nothing measurable.  OpenBLAS reads this
# when it loads, so it takes effect when autograd is imported before numpy.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def _keep_freed_arrays_mapped():
    """glibc hands a freed block of 128 KiB or more (up to 32 MiB once it has
    adapted) back to the system, or trims it off the heap's top, so the next
    large array arrives as fresh pages that the kernel faults in and zeroes
    one 4 KiB page at a time.  With 16 MB arrays (Q's) that zeroing took as
    long as the arithmetic: a two-thread forward of 20 ms instead of 7.5.
    Here arrays up to 32 MiB come from the heap, and up to 128 MiB freed at
    its top stays mapped for the next ones.  Only on glibc, and a user's own
    malloc settings (environment or GLIBC_TUNABLES) win."""
    users = ("MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ
             or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""))
    if users or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version      # glibc's: mallopt's codes below are glibc's
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    mallopt(-3, 32 << 20)    # M_MMAP_THRESHOLD
    mallopt(-1, 128 << 20)   # M_TRIM_THRESHOLD


_keep_freed_arrays_mapped()
if _REQUESTED not in ("compiled", "python"):
    raise ImportError(
        f"AUTOGRAD_ENGINE must be 'compiled' or 'python', got {_REQUESTED!r}"
    )

_here = os.path.dirname(os.path.abspath(__file__))


def _load_source(name):
    qualified = f"{__name__}.{name}"
    spec = importlib.util.spec_from_file_location(qualified, os.path.join(_here, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    setattr(sys.modules[__name__], name, module)
    spec.loader.exec_module(module)
    return module


def _load_compiled(name):
    module = importlib.import_module(f"{__name__}.{name}")
    if module.__file__.endswith(".py"):
        raise ImportError(
            f"the compiled engine is not built (engine/{name}.py has no extension module "
            "beside it). Install the package with `pip install .` (or build it in place "
            "with `python setup.py build_ext --inplace`), or set AUTOGRAD_ENGINE=python "
            "to run the pure-Python engine."
        )
    return module


_load = _load_source if _REQUESTED == "python" else _load_compiled
for _name in ENGINE_MODULES:
    _load(_name)
del _name, _load

#: "compiled" or "python": which engine this process runs.
ENGINE = _REQUESTED
