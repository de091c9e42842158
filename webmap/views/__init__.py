"""The blueprints of the web map: map, targets, check, api."""

from webmap.views import patrol_report  # noqa: F401  (its route is on the patrol blueprint)
