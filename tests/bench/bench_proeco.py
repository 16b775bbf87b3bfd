"""Benchmark of the ProECO import (not in the default test run).

    pytest tests/bench/bench_proeco.py -s

Generates an export of 60,000 rows over 2,000 establishments, imports it into a fresh SQLite
database with `extranet-bot proeco import`, then imports a later export where 1 % of the rows
changed. Each import runs as its own process, as the nightly job does, so the wall time
includes start-up and the peak RSS is that process's alone.
Targets (2-core machine): full import ≤ 15 s, re-sync ≤ 5 s, peak RSS ≤ 400 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from access.demo import generate_export
from tests.conftest import REPO_ROOT

ROWS = int(os.environ.get("BENCH_ROWS", "60000"))
ESTABLISHMENTS = int(os.environ.get("BENCH_ESTABLISHMENTS", "2000"))


def _run(env: dict[str, str], path: Path) -> tuple[float, float, float, dict[str, object]]:
    """Wall seconds, CPU seconds, peak RSS (MB) and JSON report of one import process.

    CPU time (user + system) is printed too: on a shared machine the wall time also counts
    the time other processes held the cores."""
    out, err = path.with_suffix(".out"), path.with_suffix(".err")
    with out.open("w") as stdout, err.open("w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "proeco", "import", str(path), "--json"],
            cwd=REPO_ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0, err.read_text()
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, json.loads(out.read_text())


def _line(label: str, wall: float, cpu: float, rss: float, what: str) -> None:
    print(f"  {label:<12} {wall:6.2f} s wall {cpu:6.2f} s CPU  peak RSS {rss:6.1f} MB  {what}")


def test_proeco_import_benchmark(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.db'}",
        "PYTHONPATH": str(REPO_ROOT),
    }
    subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=REPO_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    first = generate_export(tmp_path / "export-1.csv", ROWS, ESTABLISHMENTS, seed=7)
    later = generate_export(
        tmp_path / "export-2.csv", ROWS, ESTABLISHMENTS, seed=7, change_fraction=0.01
    )

    full_seconds, full_cpu, full_rss, full = _run(env, first)
    resync_seconds, resync_cpu, resync_rss, resync = _run(env, later)
    same_seconds, same_cpu, same_rss, same = _run(env, later)

    print()
    print(f"ProECO import benchmark: {ROWS} rows, {ESTABLISHMENTS} establishments, SQLite")
    print(f"  {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    _line("full import", full_seconds, full_cpu, full_rss, f"added {full['added']}")
    _line(
        "1 % re-sync",
        resync_seconds,
        resync_cpu,
        resync_rss,
        f"added {resync['added']} updated {resync['updated']} left {resync['left']}",
    )
    _line("same again", same_seconds, same_cpu, same_rss, f"changed {same['changed']}")
    assert full["added"] and not same["changed"]
