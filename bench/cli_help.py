"""How fast `fossilgis --help` answers, against a bare Python start-up in the same run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _time(cmd, runs=7):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    base = _time([sys.executable, "-c", "pass"])
    helpt = _time([str(BIN / "fossilgis"), "--help"])
    sub = _time([str(BIN / "fossilgis"), "impact-check", "--help"])
    print(f"python -c pass          {base * 1000:7.1f} ms (baseline)")
    print(
        f"fossilgis --help        {helpt * 1000:7.1f} ms  = {helpt / base:.2f} × baseline "
        f"(target < 300 ms)"
    )
    print(f"impact-check --help     {sub * 1000:7.1f} ms  = {sub / base:.2f} × baseline")
    return 0 if helpt < 0.3 else 1


if __name__ == "__main__":
    sys.exit(main())
