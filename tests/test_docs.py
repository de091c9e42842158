"""The documentation is tested: every console example runs, and every page is linked.

What counts as a command example
    A fenced block opened with ```console in README.md or docs/*.md. In it, a line starting
    with ``$ `` is a command (a line ending in ``\\`` continues on the next line); the lines
    after it, up to the next ``$ `` line or the end of the block, are its expected output
    (stdout and stderr together, as a terminal shows them). Blocks marked ```sh (or
    anything else) are not run: they are for commands that need a server, a network or a
    file the reader brings.

How a command runs
    Each doc page gets its own fresh temporary directory with
    - ``data/``: the store (``FOSSILGIS_DATA``), created from layers/ on first use, shared by
      the page's commands in order (an import in one block is seen by the next);
    - ``work/``: the working directory. It holds a symbolic link to every top-level entry of
      the repository (``layers``, ``notebooks``, ``.venv``, ...), so relative paths read as
      from the repository root, while files that commands write (``-o report.html``,
      ``exports/``) land in the temporary directory and never in the repository.
    A command is run by ``bash -c`` with ``set -o pipefail``, after ``(exit N)`` where N is
    the exit status of the page's previous command, so ``echo $?`` reports it. The venv's
    ``bin`` is first on PATH (``fossilgis`` and ``python`` are the venv's), ``TZ=UTC``,
    ``LC_ALL=C.UTF-8``, ``COLUMNS=80``; ``FOSSILGIS_RULES`` and ``FOSSILGIS_LAYERS`` are unset.

How the output is compared (the same rules on both sides)
    1. The page's temporary paths are replaced: ``<work>/`` → nothing, ``<data>`` →
       ``$FOSSILGIS_DATA``; the repository's own path → nothing (``<repo>/`` → nothing).
    2. ISO 8601 timestamps (``2026-11-29T10:28:39+00:00``, with ``Z`` or fractions too) →
       ``<TIME>``: they are the time of the run.
    3. API tokens (``fgis_`` + 43 characters) → ``fgis_<TOKEN>``: they are random.
    4. Trailing spaces are dropped, and blank lines at the start and end.
    5. An expected line that is exactly ``...`` matches any number of lines (for long
       outputs that the page shortens; use it sparingly).
    Nothing else is normalised: refresh a stale block from a real run, never by hand.

The test also checks that every docs/*.md page is linked from README.md and that every
relative link in README.md and docs/*.md points at a file that exists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC_PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
VENV_BIN = Path(sys.executable).parent
#: seconds one command may take
COMMAND_TIMEOUT = 300
#: entries of the repository root not linked into the working directory
NOT_LINKED = {".git", ".pytest_cache", ".ruff_cache", ".hypothesis", "test-artifacts"}

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+-]*)")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?(?![\d:])")
_TOKEN = re.compile(r"fgis_[A-Za-z0-9_-]{20,}")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@dataclass
class Example:
    """One ``$ `` command of a console block and the output the page shows for it."""

    page: Path
    line: int  # 1-based line of the command in the page
    command: str
    expected: list[str] = field(default_factory=list)


def console_examples(page: Path) -> list[Example]:
    """Every command of every ```console block of ``page``, in order."""
    examples: list[Example] = []
    fence = None  # (marker, language) of the open block
    current: Example | None = None
    continued = False
    for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence = (m.group(2), m.group(3))
            continue
        if m and m.group(2).startswith(fence[0]) and not m.group(3):
            fence, current, continued = None, None, False
            continue
        if fence[1] != "console":
            continue
        if continued and current is not None:
            current.command += "\n" + line
            continued = line.endswith("\\")
        elif line.startswith("$ "):
            current = Example(page, n, line[2:])
            examples.append(current)
            continued = line.endswith("\\")
        elif current is not None:
            current.expected.append(line)
    return examples


def pages_with_examples() -> list[Path]:
    return [p for p in DOC_PAGES if console_examples(p)]


class PageRunner:
    """Runs a page's commands in order in one temporary setting (see the module docstring)."""

    def __init__(self, tmp: Path):
        self.work = tmp / "work"
        self.data = tmp / "data"
        self.work.mkdir()
        for entry in ROOT.iterdir():
            if entry.name not in NOT_LINKED:
                (self.work / entry.name).symlink_to(entry)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("FOSSILGIS_RULES", "FOSSILGIS_LAYERS", "FOSSILGIS_DATA")
        }
        env.update(
            FOSSILGIS_DATA=str(self.data),
            PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            TZ="UTC",
            LC_ALL="C.UTF-8",
            COLUMNS="80",
            PYTHONIOENCODING="utf-8",
        )
        self.env = env
        self.status = 0

    def run(self, command: str) -> str:
        script = f"set -o pipefail\n(exit {self.status})\n{command}\n"
        proc = subprocess.run(
            ["bash", "-c", script],
            cwd=self.work,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=COMMAND_TIMEOUT,
        )
        self.status = proc.returncode
        return proc.stdout.decode("utf-8", errors="replace")

    def normalise(self, text: str) -> list[str]:
        for path, repl in (
            (f"{self.work}/", ""),
            (str(self.work), "."),
            (str(self.data), "$FOSSILGIS_DATA"),
            (f"{ROOT}/", ""),
        ):
            text = text.replace(path, repl)
        text = _TIME.sub("<TIME>", text)
        text = _TOKEN.sub("fgis_<TOKEN>", text)
        lines = [line.rstrip() for line in text.splitlines()]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        return lines


def matches(expected: list[str], actual: list[str]) -> bool:
    """``expected`` equals ``actual``, where an expected line ``...`` stands for any lines."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head == "...":
        return any(matches(rest, actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == head and matches(rest, actual[1:])


def _repo_files() -> set[str]:
    """Files of the repository outside the venv, git and caches."""
    skip = NOT_LINKED | {".venv", "__pycache__"}
    out = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in skip and not d.endswith(".egg-info")]
        out.update(os.path.join(dirpath, name) for name in filenames)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    "page", pages_with_examples(), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_console_examples(page, tmp_path):
    before = _repo_files()
    runner = PageRunner(tmp_path)
    failures = []
    for ex in console_examples(page):
        output = runner.run(ex.command)
        actual = runner.normalise(output)
        expected = runner.normalise("\n".join(ex.expected))
        if not matches(expected, actual):
            failures.append(
                f"{page.name}:{ex.line}: $ {ex.command}\n--- expected\n"
                + "\n".join(expected)
                + "\n--- got\n"
                + "\n".join(actual)
            )
    # a command that writes into a linked folder (-o layers/x) would write into the repository;
    # only new files named by the page are counted (other processes may write in the tree)
    commands = "\n".join(ex.command for ex in console_examples(page))
    new = {p for p in _repo_files() - before if Path(p).name in commands}
    assert not new, f"running {page.name}'s examples wrote into the repository: {sorted(new)}"
    assert not failures, "\n\n".join(failures)


def test_parser_reads_blocks_and_continuations(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ echo a \\\n  b\na b\n$ false\n$ echo $?\n1\n```\n"
        "```sh\n$ not run\n```\n````console\n$ echo x\nx\n````\n",
        encoding="utf-8",
    )
    got = [(e.command, e.expected) for e in console_examples(page)]
    assert got == [
        ("echo a \\\n  b", ["a b"]),
        ("false", []),
        ("echo $?", ["1"]),
        ("echo x", ["x"]),
    ]


def test_runner_status_paths_and_normalisation(tmp_path):
    runner = PageRunner(tmp_path)
    assert runner.run("exit 3") == ""
    assert runner.run("echo $?") == "3\n"
    out = runner.run("echo hi > out.txt; ls layers/README.md; pwd; echo $FOSSILGIS_DATA; date -Is")
    assert (runner.work / "out.txt").read_text() == "hi\n"
    assert runner.normalise(out) == ["layers/README.md", ".", "$FOSSILGIS_DATA", "<TIME>"]
    assert runner.run("false | true; echo $?") == "1\n"  # pipefail


@pytest.mark.parametrize(
    "expected, actual, ok",
    [
        (["a", "...", "z"], ["a", "b", "c", "z"], True),
        (["a", "...", "z"], ["a", "z"], True),
        (["a", "...", "z"], ["a", "b"], False),
        (["a"], ["a", "b"], False),
        ([], [], True),
    ],
)
def test_ellipsis_matching(expected, actual, ok):
    assert matches(expected, actual) is ok


def test_every_doc_page_is_linked_from_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {m.group(1).split("#")[0] for m in _LINK.finditer(readme)}
    missing = [
        p.relative_to(ROOT).as_posix()
        for p in sorted((ROOT / "docs").glob("*.md"))
        if p.relative_to(ROOT).as_posix() not in linked
    ]
    assert not missing, f"README.md does not link these pages: {missing}"


def test_every_notebook_is_linked_from_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"(notebooks/{nb.name})" in readme, nb.name


@pytest.mark.parametrize("page", DOC_PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page):
    broken = []
    for m in _LINK.finditer(page.read_text(encoding="utf-8")):
        target = m.group(1).split("#")[0]
        if not target or re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue  # a URL or an anchor on the same page
        if not (page.parent / target).exists():
            broken.append(target)
    assert not broken, f"{page.name}: links to missing files: {broken}"


def test_doc_runner_needs_bash():
    assert shutil.which("bash"), "the console examples run through bash"
