"""The code keeps its shape: every module says what it is for and stays small."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(
    p for pkg in ("fossilgis", "webmap") for p in (ROOT / pkg).rglob("*.py") if p.stat().st_size
)
#: what a module over the limit must say in its docstring, with the reason
OVER_LIMIT = "Over 400 lines because"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_has_a_docstring_and_at_most_400_lines(path):
    text = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(text))
    if path.name != "__init__.py" or text.strip():
        assert doc, f"{path.relative_to(ROOT)} has no docstring saying what it is for"
    lines = text.count("\n")
    assert lines <= 400 or (doc and OVER_LIMIT in doc), (
        f"{path.relative_to(ROOT)} has {lines} lines: split it by job, or say in its "
        f"docstring why not ({OVER_LIMIT} …)"
    )


def test_core_never_imports_flask():
    # `fossilgis serve` is the one command whose job is to start the web shell
    shell = ROOT / "fossilgis" / "cli" / "serve.py"
    for path in (p for p in (ROOT / "fossilgis").rglob("*.py") if p != shell):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n.split(".")[0] in ("flask", "webmap") for n in names), path
