"""The blueprints of the web map: map, targets, check, api."""
