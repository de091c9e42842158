"""folium map shells for the pages; their layers are fetched by /static/js/fossilgis-map.js."""

from __future__ import annotations

import folium
from branca.element import MacroElement
from flask import current_app
from folium.elements import JSCSSMixin
from folium.plugins import Draw, Fullscreen, MeasureControl
from folium.template import Template

from webmap.assets import DRAW_JS, VENDOR, measure_js
from webmap.basemap_layers import add_offline_basemaps
from webmap.context_layers import add_context_layers
from webmap.i18n import text
from webmap.leaflet_i18n import LeafletI18n
from webmap.static_urls import static_path

#: Guizhou's centre and a zoom that shows the whole province
PROVINCE_CENTRE = (26.8, 106.8)
PROVINCE_ZOOM = 7


class PageScript(JSCSSMixin, MacroElement):
    """Loads the app's map script and hands it the map; the page's config is JSON in the page."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            FossilGIS.start({{ this._parent.get_name() }});
        {% endmacro %}
    """)
    default_js = [("fossilgis_map_js", static_path("js/fossilgis-map.js"))]
    default_css = [("fossilgis_css", static_path("css/fossilgis.css"))]

    def __init__(self):
        super().__init__()
        self._name = "FossilGISPage"


class PatrolTracksScript(JSCSSMixin, MacroElement):
    """Loads ``fossilgis-patrol-tracks.js`` with the tracks API's URL and its labels in the
    map's language. It draws nothing by itself: the page script calls it where the page's
    config asks (the staff map's overlay, a target page's last patrols for staff), so one
    shell per language serves visitors and staff alike and holds no patrol data."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            FossilGISTracks.configure({{ this.options|tojson }});
        {% endmacro %}
    """)
    default_js = [
        (
            "fossilgis_patrol_tracks_js",
            static_path("js/fossilgis-patrol-tracks.js"),
        )
    ]

    def __init__(self, lang: str):
        from flask import request, url_for

        from webmap.views.patrol_tracks import track_strings

        super().__init__()
        self._name = "PatrolTracks"
        self.options = {
            "url": url_for("patrols.api_patrol_tracks"),
            "patrol_page": request.script_root + "/patrols/",
            "strings": track_strings(lang),
        }


class MetricScale(MacroElement):
    """A metric-only scale bar (Leaflet's default also shows miles and feet)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )


class ClusterAssets(JSCSSMixin, MacroElement):
    """Loads the vendored leaflet.markercluster; the markers come as GeoJSON, not inlined."""

    _template = Template("")
    default_js = [
        ("leaflet_markercluster_js", f"{VENDOR}/leaflet.markercluster/leaflet.markercluster.js")
    ]
    default_css = [
        ("leaflet_markercluster_css", f"{VENDOR}/leaflet.markercluster/MarkerCluster.css"),
        (
            "leaflet_markercluster_default_css",
            f"{VENDOR}/leaflet.markercluster/MarkerCluster.Default.css",
        ),
    ]

    def __init__(self):
        super().__init__()
        self._name = "ClusterAssets"


class LocalMeasureControl(MeasureControl):
    """folium's MeasureControl with the Leaflet ≥ 1.8 fix, in the page's language build."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            L.Control.Measure.include({
                _setCaptureMarkerIcon: function () {
                    this._captureMarker.options.autoPanOnFocus = false;
                    this._captureMarker.setIcon(
                        L.divIcon({iconSize: this._map.getSize().multiplyBy(2)}));
                },
            });
            var {{ this.get_name() }} = new L.Control.Measure(
                {{ this.options|tojavascript }});
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, lang: str):
        super().__init__(
            position="topleft",
            primary_length_unit="meters",
            secondary_length_unit="kilometers",
            primary_area_unit="sqmeters",
            secondary_area_unit="hectares",
        )
        self.default_js = measure_js(lang)  # instance attribute: the class list stays as is


def _base_map(lang: str, plugins=(), location=PROVINCE_CENTRE, zoom=PROVINCE_ZOOM) -> folium.Map:
    """A map in ``lang`` whose Leaflet controls and ``plugins`` (their scripts) speak it."""
    m = folium.Map(
        location=location, zoom_start=zoom, tiles=None, control_scale=False, prefer_canvas=False
    )
    LeafletI18n(lang, plugins).add_to(m)  # before any control is made
    MetricScale().add_to(m)
    for layer in current_app.config["TILE_LAYERS"]:
        folium.TileLayer(
            tiles=layer["url"],
            attr=layer["attr"],
            subdomains=layer["subdomains"],
            max_zoom=layer["max_zoom"],
            overlay=False,
            control=False,
        ).add_to(m)
    add_offline_basemaps(m)  # after the online layers: it makes them one base layer
    return m


def main_map(lang: str) -> folium.Map:
    m = _base_map(lang, measure_js(lang))
    add_context_layers(m, lang, own_control=False)  # the page script lists it in its control
    Fullscreen(
        position="topleft",
        title=text("fullscreen", lang),
        title_cancel=text("exit_fullscreen", lang),
    ).add_to(m)
    LocalMeasureControl(lang).add_to(m)
    ClusterAssets().add_to(m)
    PatrolTracksScript(lang).add_to(m)  # before the page script, which calls it
    PageScript().add_to(m)
    return m


def small_map(lang: str = "en") -> folium.Map:
    m = _base_map(lang, zoom=PROVINCE_ZOOM)
    add_context_layers(m, lang)
    PatrolTracksScript(lang).add_to(m)  # a target page's last patrols (staff)
    PageScript().add_to(m)
    return m


def draw_map(lang: str) -> folium.Map:
    m = _base_map(lang, DRAW_JS)
    add_context_layers(m, lang)
    Draw(
        export=False,
        show_geometry_on_click=False,
        position="topleft",
        draw_options={
            "polyline": True,
            "polygon": True,
            "rectangle": True,
            "circle": False,
            "marker": False,
            "circlemarker": False,
        },
    ).add_to(m)
    Fullscreen(
        position="topleft",
        title=text("fullscreen", lang),
        title_cancel=text("exit_fullscreen", lang),
    ).add_to(m)
    PageScript().add_to(m)
    return m


def render_parts(m: folium.Map) -> dict[str, str]:
    """The header (links, styles), body (the map div) and script of a folium map.

    These hold folium's own markup and our i18n labels only, never layer data (the data
    arrive as GeoJSON), so the templates may insert them unescaped.
    """
    root = m.get_root()
    root.render()
    return {
        "header": root.header.render(),
        "html": root.html.render(),
        "script": root.script.render(),
    }


def page_map(name: str, lang: str) -> dict[str, str]:
    """The rendered shell of map ``name`` ("main" | "small" | "draw") in ``lang``, cached.

    A shell depends only on the app's config and the language, so it is rendered once per
    process instead of per request (folium rendering costs ~15 ms).
    """
    cache = current_app.extensions.setdefault("fossilgis_map_parts", {})
    key = (name, lang)
    if key not in cache:
        builders = {"main": main_map, "small": small_map, "draw": draw_map}
        cache[key] = render_parts(builders[name](lang))
    return cache[key]
