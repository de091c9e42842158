"""Load and validate the screening rules file (zone distances and the grade rule table).

The rules live in one editable TOML file, by default ``layers/rules.toml`` at the repository
root; the environment variable ``FOSSILGIS_RULES`` names another file. The file holds
distances with their provenance and an ordered list of match rules (first match wins; a
``when`` key left out matches anything). :func:`load_rules` expands the rules to every
combination of zone × target kind × protection level × project type × ground disturbance
and refuses a file with gaps, unknown keys or values outside the closed vocabularies.

Apart from reading that one file, everything here is pure.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# the rules objects and the validator live in their own modules; re-exported here
from fossilgis._rules_model import (  # noqa: F401
    BILINGUAL_SEP,
    GRADE_LABELS,
    GRADES,
    MATCH_KEYS,
    PROJECT_TYPE_LABELS,
    PROJECT_TYPES,
    PROTECTION_LEVEL_LABELS,
    PROTECTION_LEVELS,
    TARGET_KIND_LABELS,
    TARGET_KINDS,
    ZONE_LABELS,
    ZONES,
    MatchRule,
    Outcome,
    Provenance,
    Rules,
    grade_rank,
    worst_grade,
)
from fossilgis._rules_parse import _parse
from fossilgis.errors import RulesError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

#: environment variable that names another rules file
ENV_VAR = "FOSSILGIS_RULES"


def default_rules_path() -> Path:
    """The rules file used when none is given: ``$FOSSILGIS_RULES``, else the repo's file.

    Returns
    -------
    Path
        ``FOSSILGIS_RULES`` when set and not empty, else ``layers/rules.toml`` beside the
        package folder (``fossilgis/../layers/rules.toml``, which is the repository root in
        a checkout or an editable install).
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent / "layers" / "rules.toml"


def load_rules(path: str | os.PathLike[str] | None = None) -> Rules:
    """Read and validate a rules file.

    Parameters
    ----------
    path : path-like, optional
        The TOML file. Default: :func:`default_rules_path` (``FOSSILGIS_RULES`` or the
        repository's ``layers/rules.toml``).

    Returns
    -------
    Rules
        The validated rules, with the rule table expanded to every combination.

    Raises
    ------
    RulesError
        The file is missing or unreadable, or a value is missing, out of range, outside
        its vocabulary, unknown (a typo), or the rule table leaves a combination without a
        grade. The message names the file, the key path and the fix.
    """
    rules_path = Path(path) if path is not None else default_rules_path()
    try:
        raw = rules_path.read_bytes()
    except FileNotFoundError:
        if path is None and os.environ.get(ENV_VAR, "").strip():
            fix = (
                f"{ENV_VAR} names this file: point it to an existing rules file, or unset it "
                "to use the repository's layers/rules.toml."
            )
        else:
            fix = (
                f"Give the path of an existing rules file, or set {ENV_VAR} to it (an install "
                "that is not an editable one from the repository has no layers/ folder)."
            )
        raise RulesError(f"{rules_path}: rules file not found. {fix}") from None
    except OSError as exc:
        raise RulesError(f"{rules_path}: cannot read the rules file: {exc}.") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RulesError(
            f"{rules_path}: not UTF-8 text ({exc.reason} at byte {exc.start}). Save the file "
            "as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(
            f"{rules_path}: not valid TOML: {exc}. Fix the syntax at that line."
        ) from None
    return _parse(data, rules_path)
