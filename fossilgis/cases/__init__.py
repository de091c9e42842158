"""The case register's core: what a case is (:mod:`.model`), what it keeps of a screen
(:mod:`.snapshot`), re-screening after a registry revision (:mod:`.rescreen`), the files it
accepts (:mod:`.files`) and the dossier it exports (:mod:`.dossier`).

The store keeps cases (:mod:`fossilgis.store.cases`); the CLI (``fossilgis case``) and the
web app (``/cases``, ``/submit``) call these.
"""
