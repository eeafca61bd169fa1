"""Build of teamcast's Cython kernel and the mapping of its four folders onto one package."""

import os
import sys
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

PACKAGE_DIR = {
    "teamcast": ".",
    "teamcast.engine": "engine",
    "teamcast.ext": "ext",
    "teamcast.plugins": "plugins",
    "teamcast.tui": "tui",
}
# Every package, sub-packages included: a plain `pip install .` installs only what is listed here.
PACKAGES = [
    "teamcast",
    "teamcast.engine",
    "teamcast.engine.commands",
    "teamcast.engine.forecast",
    "teamcast.engine.plan",
    "teamcast.engine.practice",
    "teamcast.engine.retro",
    "teamcast.ext",
    "teamcast.plugins",
    "teamcast.tui",
    "teamcast.tui.screens",
]


class BuildPy(build_py):
    """Keep setup.py itself out of the installed root package."""

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        if package == "teamcast":
            modules = [m for m in modules if m[1] != "setup"]
        return modules


def openmp_flags():
    """-fopenmp where the compiler accepts it; a sequential build everywhere else."""
    if os.environ.get("TEAMCAST_NO_OPENMP") or sys.platform == "darwin" or os.name == "nt":
        return [], []
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    compiler = new_compiler()
    customize_compiler(compiler)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "omp.c")
        with open(src, "w") as f:
            f.write("#include <omp.h>\nint main(void){return omp_get_max_threads() > 0 ? 0 : 1;}\n")
        try:
            objects = compiler.compile([src], output_dir=tmp, extra_postargs=["-fopenmp"])
            compiler.link_executable(objects, os.path.join(tmp, "omp"), extra_postargs=["-fopenmp"])
        except Exception:
            return [], []
    return ["-fopenmp"], ["-fopenmp"]


compile_args, link_args = openmp_flags()
extensions = [
    Extension(
        "teamcast.ext._kernel",
        ["ext/_kernel.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=[
            "-O3",
            "-ffp-contract=off",
            *compile_args,
        ],  # no fused multiply-add: kernel and oracle round alike
        extra_link_args=link_args,
    ),
    # The serial schedule generation scheme of `optimise --deterministic` (ext/serial.py wraps it).
    Extension(
        "teamcast.ext._serial",
        ["ext/_serial.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3", "-ffp-contract=off"],
    ),
    # The sampling loops of the built-in pert and triangular models (plugins/pert.py and
    # plugins/triangular.py call them); no fused multiply-add, so they round as their NumPy references.
    Extension(
        "teamcast.plugins._tables",
        ["plugins/_tables.pyx"],
        include_dirs=[numpy.get_include()],  # numpy/random/bitgen.h: the uniforms are drawn in C
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3", "-ffp-contract=off"],
    ),
    # Percentiles, rank correlations and per-chunk counts of a run's trials (ext/stats.py wraps it).
    Extension(
        "teamcast.ext._stats",
        ["ext/_stats.pyx"],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3", "-ffp-contract=off"],
    ),
]

setup(
    package_dir=PACKAGE_DIR,
    packages=PACKAGES,
    package_data={
        "teamcast": ["py.typed"],
        "teamcast.engine.plan": ["data/*.toml"],
        "teamcast.ext": ["*.pyx", "*.pyi"],
        "teamcast.plugins": ["*.pyx", "*.pyi"],
        "teamcast.tui": ["*.tcss"],
    },
    cmdclass={"build_py": BuildPy},
    ext_modules=cythonize(
        extensions,
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "nonecheck": False,
        },
    ),
    zip_safe=False,
)
