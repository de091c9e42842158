"""Point folium and its plugins at the vendored copies of Leaflet under /static/vendor/."""

from __future__ import annotations

VENDOR = "/static/vendor"

#: Leaflet only: the map page uses no jQuery, Bootstrap, Font Awesome or awesome-markers
MAP_JS = [("leaflet", f"{VENDOR}/leaflet/leaflet.js")]
MAP_CSS = [("leaflet_css", f"{VENDOR}/leaflet/leaflet.css")]
DRAW_JS = [("leaflet_draw_js", f"{VENDOR}/leaflet-draw/leaflet.draw.js")]
DRAW_CSS = [("leaflet_draw_css", f"{VENDOR}/leaflet-draw/leaflet.draw.css")]
FULLSCREEN_JS = [("Control.Fullscreen.js", f"{VENDOR}/leaflet.fullscreen/Control.FullScreen.js")]
FULLSCREEN_CSS = [("Control.FullScreen.css", f"{VENDOR}/leaflet.fullscreen/Control.FullScreen.css")]
MEASURE_CSS = [("leaflet_measure_css", f"{VENDOR}/leaflet-measure/leaflet-measure.css")]


def measure_js(lang: str) -> list[tuple[str, str]]:
    """leaflet-measure is built per language: the Chinese or the English build."""
    build = "cn" if lang == "zh" else "en"
    return [("leaflet_measure_js", f"{VENDOR}/leaflet-measure/leaflet-measure.{build}.js")]


def use_local_assets() -> None:
    """Replace the CDN links of folium's Map and of the plugins we use, once per process.

    folium keeps them in class attributes (``default_js`` / ``default_css``), so this is
    done in the application factory and never per request.
    """
    import folium
    from folium.plugins import Draw, Fullscreen, MeasureControl

    folium.Map.default_js = list(MAP_JS)
    folium.Map.default_css = list(MAP_CSS)
    Draw.default_js, Draw.default_css = list(DRAW_JS), list(DRAW_CSS)
    Fullscreen.default_js, Fullscreen.default_css = list(FULLSCREEN_JS), list(FULLSCREEN_CSS)
    MeasureControl.default_js = measure_js("en")
    MeasureControl.default_css = list(MEASURE_CSS)
