"""The test suite (tests/conftest.py: the shared fixtures)."""

import sys

# Compiled modules and pytest's assertion-rewritten test modules are cached in __pycache__ even
# where PYTHONDONTWRITEBYTECODE is set: without the cache each xdist worker rewrote every test
# module again, and each `python -m bot` the tests start compiled the project again.
sys.dont_write_bytecode = False
