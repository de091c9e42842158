"""The notebooks: committed without outputs, in step with their Jupytext sources, and they run.

Each ``notebooks/<name>.ipynb`` is written by ``notebooks/build_notebooks.py`` from its
percent-format source ``notebooks/<name>.py``; the tests below keep the pair from drifting.

Each notebook is executed top to bottom with nbclient in a kernel that runs this test's
Python (the venv's, where fossilgis is installed), from the ``notebooks/`` folder, as
Jupyter would. The notebooks make their own temporary data directory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: seconds one cell may take; a whole notebook takes about 10 s
CELL_TIMEOUT = 300
#: seconds a whole notebook may take, kernel start included
NOTEBOOK_TIMEOUT = 600
EXPECTED = {"impact_assessment.ipynb", "patrol_review.ipynb", "import_official_registry.ipynb"}


def test_the_three_notebooks_exist():
    assert {p.name for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {n} has outputs: strip them"
            assert cell.get("execution_count") is None, f"{path.name} cell {n}: execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_cells_match_the_jupytext_source(path):
    import jupytext

    source = path.with_suffix(".py")
    assert source.exists(), f"{path.name} has no Jupytext source {source.name}"
    nb = json.loads(path.read_text(encoding="utf-8"))
    paired = jupytext.read(source, fmt="py:percent")
    cells = [(c["cell_type"], "".join(c["source"])) for c in nb["cells"]]
    assert cells == [(c.cell_type, c.source) for c in paired.cells], (
        f"{path.name} and {source.name} differ: run notebooks/build_notebooks.py"
    )
    assert nb["metadata"]["jupytext"]["formats"] == "ipynb,py:percent"


def test_notebooks_match_their_sources():
    proc = subprocess.run(
        [sys.executable, str(NOTEBOOKS_DIR / "build_notebooks.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr


def _kernel_manager(tmp_path: Path):
    """A KernelManager whose kernel is ``sys.executable -m ipykernel_launcher``."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kernels = tmp_path / "kernels" / "fossilgis-venv"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "fossilgis venv",
                "language": "python",
            }
        )
    )
    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    return KernelManager(kernel_name="fossilgis-venv", kernel_spec_manager=ksm)


def execute(path: Path, out: Path, tmp_path: Path) -> None:
    """Run the notebook ``path`` and write it with its outputs to ``out``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        km=_kernel_manager(tmp_path),
        timeout=CELL_TIMEOUT,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    try:
        client.execute()
    finally:
        nbformat.write(nb, out)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    # nbclient runs in a child process: its sockets and event loop stay out of this test
    # process (where warnings are errors), and the time limit is a hard one
    env = dict(os.environ)
    env.pop("FOSSILGIS_DATA", None)
    env.update(
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        JUPYTER_PLATFORM_DIRS="1",
        IPYTHONDIR=str(tmp_path / "ipython"),
        JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
        TMPDIR=str(tmp_path),  # the notebook's mkdtemp lands here
        PYTHONWARNINGS="ignore",
    )
    out = tmp_path / path.name
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, __file__, str(path), str(out), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=NOTEBOOK_TIMEOUT,
    )
    elapsed = time.monotonic() - start
    print(f"{path.name}: {elapsed:.1f} s")
    assert proc.returncode == 0, proc.stderr[-4000:]
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join("".join(o.get("text", "")) for o in outputs)
    assert str(tmp_path) in text, "the notebook should say which temporary store it uses"
    assert "Traceback" not in text


if __name__ == "__main__":  # the child process of test_notebook_runs
    execute(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
