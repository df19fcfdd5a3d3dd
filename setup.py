"""Build the compiled engine.

Every module listed in ``ENGINE_MODULES`` is a ``.py`` file written in
Cython's pure Python mode with an augmenting ``.pxd``: Cython compiles it to
an extension module here, and ``AUTOGRAD_ENGINE=python`` runs the very same
source uncompiled.  A failed compile stops the build; nothing falls back to
Python silently.
"""
import os
import runpy

import setuptools  # noqa: F401  (must come before Cython's build helpers)
from setuptools import Extension, setup

import numpy
from Cython.Build import cythonize

# The module list lives beside the engine; read it without importing the
# package, whose __init__ loads the extension modules this script builds.
ENGINE_MODULES = runpy.run_path("engine/_modules.py")["ENGINE_MODULES"]

DEBUG = os.environ.get("CYGRAD_DEBUG", "") not in ("", "0")

# OpenMP runs the elementwise loops of large arrays on every core (prange);
# gcc and clang on Linux have it.  -ffp-contract=off keeps float arithmetic
# exactly as written even when CFLAGS enable FMA (-march=native): a fused
# multiply-add rounds once where numpy rounds twice.
OPENMP = ["-fopenmp"]
FLOAT_ARGS = ["-ffp-contract=off"]

# C headers the .pxd files include; a module that cimports such a .pxd
# includes them too, so every module is rebuilt when one changes.
HEADERS = ["engine/sgemm.h"]

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "cdivision": not DEBUG,
    "initializedcheck": DEBUG,
    "embedsignature": True,
}

extensions = [
    Extension(
        f"engine.{name}",
        [f"engine/{name}.py"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=(["-O0", "-g"] if DEBUG else ["-O3"]) + FLOAT_ARGS + OPENMP,
        extra_link_args=OPENMP,
        depends=[f"engine/{name}.pxd"] + HEADERS,
    )
    for name in ENGINE_MODULES
]

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=DIRECTIVES,
        annotate=os.environ.get("CYGRAD_ANNOTATE", "") not in ("", "0"),
    ),
)
