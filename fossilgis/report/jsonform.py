"""The impact-check JSON form (``--format json``): ``Screening.to_dict()`` as text."""

from __future__ import annotations

import json

#: above this many impacts the JSON is written compact (the indenting encoder is slow)
PRETTY_JSON_MAX_IMPACTS = 1000


def render_json(screening) -> str:
    """The impact-check JSON form; indented unless the result is large."""
    d = screening.to_dict()
    n = sum(len(p["impacts"]) for p in d["projects"])
    indent = 2 if n <= PRETTY_JSON_MAX_IMPACTS else None
    return json.dumps(d, ensure_ascii=False, indent=indent) + "\n"
