"""fossilgis: screen construction projects against fossil sites and stratigraphic sections.

The package root stays light so that ``fossilgis --help`` answers at once; heavy
libraries (geopandas, pyogrio, pyproj) are imported inside the modules that need them.
"""

__version__ = "0.1.0"
