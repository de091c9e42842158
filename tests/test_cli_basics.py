"""The command line as a whole: help, version, errors without tracebacks."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from fossilgis.cli.main import COMMANDS, cli


def test_every_command_has_help():
    runner = CliRunner()
    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert len(result.output.splitlines()) > 3


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from click.testing import CliRunner; from fossilgis.cli.main import cli;"
        "CliRunner().invoke(cli, ['--help']);"
        "print(','.join(m for m in ('geopandas','pyogrio','pyproj','shapely','flask') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_version():
    assert CliRunner().invoke(cli, ["--version"]).output.startswith("fossilgis, version")


def test_store_error_is_a_message(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(cli, ["--data", str(blocker / "sub"), "layers", "validate"])
    assert result.exit_code == 2
    assert "cannot create the data directory" in result.output
    assert "Traceback" not in result.output


def test_readme_mentions_every_command():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        assert f"fossilgis {name}" in readme, name
