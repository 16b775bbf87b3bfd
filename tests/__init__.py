"""The test suite (tests/conftest.py: the shared fixtures)."""

import os
import sys

# Compiled modules and pytest's assertion-rewritten test modules are cached in __pycache__ even
# where PYTHONDONTWRITEBYTECODE is set: without the cache each xdist worker rewrote every test
# module again, and each `python -m bot` the tests start compiled the project again.
sys.dont_write_bytecode = False

# One BLAS thread per process (set before NumPy loads; the processes the tests start inherit
# it): the xdist workers already fill every core, and the BLAS library's own threads spin
# while they wait, doubling the CPU of the FAQ's fitting and of every matrix product.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
