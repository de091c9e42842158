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
from fossilgis.datafiles import data_file_path, read_toml_file
from fossilgis.errors import RulesError

#: environment variable that names another rules file
ENV_VAR = "FOSSILGIS_RULES"


def default_rules_path() -> Path:
    """The rules file used when none is given: ``FOSSILGIS_RULES`` when set and not empty,
    else ``layers/rules.toml`` of the repository (:func:`fossilgis.datafiles.data_file_path`)."""
    return data_file_path(ENV_VAR, "rules.toml")


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
    from_env = path is None and bool(os.environ.get(ENV_VAR, "").strip())
    data = read_toml_file(
        rules_path, what="rules file", env_var=ENV_VAR, error=RulesError, from_env=from_env
    )
    return _parse(data, rules_path)
