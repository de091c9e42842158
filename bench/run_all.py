"""Run every benchmark with modest sizes (`make bench`); each prints its own ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (script, arguments) in the order they run; larger sizes are for running by hand
BENCHES = [
    ("cli_help.py", []),
    ("impact.py", ["10000", "200000"]),
    ("impact_postgis.py", ["100000"]),
    ("web.py", []),
    ("patrols_store.py", []),
    ("patrols.py", []),
    ("patrols.py", ["--store", "postgis", "--out", "bench/out/patrols-postgis.json"]),
    ("ogcapi.py", []),
    ("ogcapi_vs_pygeoapi.py", ["20000", "--seconds", "5"]),
    ("cases.py", ["10000"]),
    ("potential.py", ["--units", "50000", "--footprints", "1000"]),
    ("patrol_app.py", ["--runs", "5"]),
]


def main() -> int:
    failed = []
    for script, args in BENCHES:
        path = HERE / script
        if not path.exists():
            continue
        print(f"\n=== {script} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, str(path), *args]).returncode != 0:
            failed.append(script)
    print("\n=== the speed goals, from the figures above (bench/summary.py)", flush=True)
    subprocess.run([sys.executable, str(HERE / "summary.py")])
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
