"""The imported offline basemaps as Leaflet base layers: their list for scripts, and the
folium element that puts them on every map.

Raster basemaps only: vector (PBF) basemaps are served tile by tile but not drawn, since
Leaflet draws vector tiles only with a plugin fossilgis does not ship.

The list is fetched by the page (``/api/basemaps.json``) rather than written into it: the
map shells are rendered once per process, and a basemap imported later must still appear.
:class:`OfflineBasemaps` does that on every folium map: the configured online basemap
(Tianditu/OSM, if any) stays the default; without one the first imported basemap is shown.
``map.fossilgisBaseLayers`` is a promise of ``{label: layer}`` (online, each imported raster
basemap, "none") for the page script's layer control::

    map.fossilgisBaseLayers.then(function (base) {
      Object.keys(base).forEach(function (label) { control.addBaseLayer(base[label], label); });
    });
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template
from markupsafe import escape

from fossilgis.basemaps import list_basemaps

#: Leaflet scales the deepest tiles of a basemap up to this zoom (sites are read at 15–18)
OVERZOOM_TO = 18
#: labels of the configured online basemaps in the layer list (both languages: the shell
#: holds no per-request text)
ONLINE_LABELS = {"osm": "OpenStreetMap", "tianditu": "天地图 Tianditu"}
NONE_LABEL = "无底图 None"


def basemap_layers(data_dir, url_for, *, vector: bool = False) -> list[dict]:
    """The raster basemaps of ``data_dir`` as Leaflet tile layers, in import order.

    Parameters
    ----------
    data_dir : path or store
        The data directory (its ``basemaps/`` folder).
    url_for : callable
        Flask's ``url_for``: the tile URLs carry the app's script root.
    vector : bool
        Also list the vector basemaps (served, not drawn: ``drawn`` is false).

    Returns
    -------
    list of dict
        ``name``; ``title`` (plain text) and ``label`` (the title HTML-escaped: Leaflet's
        layer control inserts it as HTML); ``kind``, ``format``, ``drawn``; ``url`` (a
        Leaflet template ``…/basemaps/<name>/{z}/{x}/{y}.<ext>?v=<sha256 prefix>``, so a
        replaced archive gets new URLs); ``attribution`` (HTML-escaped); ``minZoom`` and
        ``maxZoom`` (the archive's zooms); ``bounds`` (``[[south, west], [north, east]]``);
        and ``options``, ready for ``L.tileLayer(url, options)`` (tiles beyond ``maxZoom``
        are scaled up to zoom 18; nothing is asked outside ``bounds``).
    """
    return [
        _layer(entry, url_for)
        for entry in list_basemaps(data_dir)
        if vector or entry["kind"] == "raster"
    ]


def _layer(entry: dict, url_for) -> dict:
    west, south, east, north = entry["bounds"]
    bounds = [[south, west], [north, east]]
    attribution = str(escape(entry.get("attribution") or ""))
    return {
        "name": entry["name"],
        "title": entry["title"],
        "label": str(escape(entry["title"])),
        "kind": entry["kind"],
        "format": entry["format"],
        "drawn": entry["kind"] == "raster",
        "url": tile_template(url_for, entry),
        "attribution": attribution,
        "minZoom": entry["minzoom"],
        "maxZoom": entry["maxzoom"],
        "bounds": bounds,
        "options": {
            "attribution": attribution,
            "minZoom": entry["minzoom"],
            "maxNativeZoom": entry["maxzoom"],
            "maxZoom": max(entry["maxzoom"], OVERZOOM_TO),
            "bounds": bounds,
        },
    }


def tile_template(url_for, entry: dict) -> str:
    """The Leaflet URL template of a basemap's tiles."""
    ext = entry["format"]
    url = url_for("basemaps.tile", name=entry["name"], z=1, x=2, y=3, ext=ext)
    prefix = url.rsplit(f"/1/2/3.{ext}", 1)[0]  # names hold no '/' or '.' (check_name)
    return f"{prefix}/{{z}}/{{x}}/{{y}}.{ext}?v={entry['sha256'][:12]}"


class OfflineBasemaps(MacroElement):
    """Base layers of a folium map: its online tile layers (grouped) and, fetched from
    ``/api/basemaps.json`` when the page loads, the imported raster basemaps.

    Add it after the online tile layers (``webmap.maps._base_map``); it finds them among
    the map's children.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map, online, url, labels) {
          var base = {};
          if (online.length) { base[labels.online] = L.layerGroup(online).addTo(map); }
          map.fossilgisBaseLayers = fetch(url, {credentials: "same-origin"})
            .then(function (r) { return r.ok ? r.json() : {basemaps: []}; })
            .then(function (data) {
              var first = null;
              (data.basemaps || []).forEach(function (b) {
                if (!b.drawn) { return; }
                var layer = L.tileLayer(b.url, b.options);
                base[b.label] = layer;
                first = first || layer;
              });
              if (first && !online.length) { first.addTo(map); }
              if (first) { base[labels.none] = L.layerGroup(); }
              map.fire("fossilgis:basemaps", {layers: base});
              return base;
            })
            .catch(function () { return base; });
        })({{ this._parent.get_name() }}, [{{ this.online|join(", ") }}],
           {{ this.url|tojson }}, {{ this.labels|tojson }});
        {% endmacro %}
    """)

    def __init__(self, folium_map, url: str, online_label: str):
        import folium

        super().__init__()
        self._name = "OfflineBasemaps"
        self.url = url
        self.labels = {"online": online_label, "none": NONE_LABEL}
        self.online = [
            child.get_name()
            for child in folium_map._children.values()
            if isinstance(child, folium.TileLayer)
        ]


def add_offline_basemaps(folium_map) -> None:
    """Add :class:`OfflineBasemaps` to ``folium_map`` (in a request: it needs ``url_for``)."""
    from flask import current_app, url_for

    kind = (current_app.config.get("BASEMAP") or "none").lower()
    label = ONLINE_LABELS.get(kind, kind)
    OfflineBasemaps(folium_map, url_for("basemaps.index_json"), label).add_to(folium_map)
