"""Write each teaching notebook (``<name>.ipynb``) from its Jupytext source (``<name>.py``).

The ``.py`` files, in Jupytext's percent format (``# %%`` code cells, ``# %% [markdown]``
cells), are the sources: edit them (or edit the notebook in Jupyter with the Jupytext
extension, which keeps the pair in step), then run ``.venv/bin/python
notebooks/build_notebooks.py``. ``--check`` exits 1 when a committed notebook differs from
what its source gives, or when the registry cell no longer holds the code of
``make_registry_example.py``; the test suite runs it. The notebooks are committed without
outputs, with stable cell ids; ``tests/test_notebooks.py`` executes each of them.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent
NAMES = ("impact_assessment", "patrol_review", "import_official_registry")
#: the notebook metadata; the jupytext entry pairs the .ipynb with its .py
METADATA = {
    "jupytext": {
        "formats": "ipynb,py:percent",
        "notebook_metadata_filter": "-jupytext.text_representation",
    },
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def build(name: str) -> nbformat.NotebookNode:
    """The notebook of ``<name>.py``: no outputs, stable cell ids ``<name>-NN``."""
    source = jupytext.read(HERE / f"{name}.py", fmt="py:percent")
    nb = nbformat.v4.new_notebook(metadata=METADATA)
    for n, cell in enumerate(source.cells):
        make = (
            nbformat.v4.new_markdown_cell
            if cell.cell_type == "markdown"
            else (nbformat.v4.new_code_cell)
        )
        new = make(cell.source, metadata=dict(cell.metadata))
        new.id = f"{name}-{n:02d}"
        nb.cells.append(new)
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    return nbformat.writes(build(name)) + "\n"


def registry_source() -> str:
    """The constants and ``write_registry`` of make_registry_example.py, as notebook code."""
    text = (HERE / "make_registry_example.py").read_text(encoding="utf-8")
    lines = text.splitlines()
    wanted = {"REGISTRY_IDS", "LEVEL_LABELS", "FIELDS", "write_registry"}
    parts = []
    for node in ast.parse(text).body:
        names = {t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)}
        if getattr(node, "name", None) in wanted or names & wanted:
            start = node.lineno - 1
            if start and lines[start - 1].startswith("#:"):  # keep a constant's #: comment
                start -= 1
            parts.append("\n".join(lines[start : node.end_lineno]))
    # in the notebook ROOT comes from the setup cell, not from __file__
    return (
        "\n".join(parts)
        .replace("    root = Path(__file__).resolve().parent.parent\n", "")
        .replace("root / ", "ROOT / ")
    )


def _code_lines(text: str) -> str:
    """The text without blank lines: a formatter may space the cell's definitions apart."""
    return "\n".join(line for line in text.splitlines() if line.strip())


def main(argv: list[str]) -> int:
    check = "--check" in argv
    problems = []
    for name in NAMES:
        path = HERE / f"{name}.ipynb"
        text = render(name)
        if not check:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            problems.append(f"{path.name} differs from {name}.py: run {Path(__file__).name}")
    registry = (HERE / "import_official_registry.py").read_text(encoding="utf-8")
    if _code_lines(registry_source()) not in _code_lines(registry):
        problems.append(
            "import_official_registry.py: the registry cell differs from "
            "make_registry_example.py: copy its constants and write_registry"
        )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
