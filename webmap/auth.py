"""Who is asking: the signed-in switch between public (generalised) and staff (precise) views."""

from __future__ import annotations

from flask import current_app, g


def load_user() -> None:
    """before_request hook: set ``g.user``. The patrol issue's sign-in will replace this."""
    g.user = "test-staff" if current_app.config.get("TESTING_STAFF") else None


def is_staff() -> bool:
    """True when the request comes from signed-in staff, who see precise site boundaries."""
    return getattr(g, "user", None) is not None
