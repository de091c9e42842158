"""``-v``/``-q`` of the CLI: log records of the library on stderr, never on stdout."""

import logging

import pytest
from click.testing import CliRunner
from test_cli_impact import EXAMPLES

from fossilgis.cli.main import _StderrHandler, cli

HIGHWAY = [str(EXAMPLES / "highway_g320.zip"), "--crs", "EPSG:4523", "--project-type", "linear"]


@pytest.fixture(scope="module")
def data(template_copy):
    """A GeoPackage data directory for the module: ``impact-check`` is given ``--data`` only."""
    return template_copy("logging")


def screen(data, *flags):
    args = ["--data", str(data), *flags, "impact-check", *HIGHWAY, "--lang", "en"]
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_verbose_shows_the_crs_decision_on_stderr(data):
    r = screen(data, "-v")
    assert r.exit_code == 0, r.output
    assert (
        "INFO fossilgis.io.read: highway_g320.zip!highway_g320.shp: CRS EPSG:4523 "
        "(basis user), encoding gb18030"
    ) in r.stderr
    assert "INFO fossilgis.screening: screened 1 footprints" in r.stderr
    assert "INFO" not in r.stdout and "Verdict: AVOID" in r.stdout
    # the handler and level are put back when the command ends
    assert not any(isinstance(h, _StderrHandler) for h in logging.getLogger().handlers)


def test_very_verbose_shows_debug_and_default_shows_none(data):
    r = screen(data, "-vv")
    assert "DEBUG fossilgis.screening: chunk 0-1 of 1" in r.stderr
    assert "DEBUG fossilgis.io.read: highway_g320.zip: read as .zip" in r.stderr
    r = screen(data)
    assert r.exit_code == 0 and "INFO" not in r.stderr and "DEBUG" not in r.stderr
    r = screen(data, "-q", "-v")
    assert r.exit_code == 0 and "INFO" not in r.stderr
