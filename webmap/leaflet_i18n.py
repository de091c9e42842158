"""Leaflet's controls and plugins in the page's language: a folium element for every map shell.

Leaflet.draw reads its button titles from ``L.drawLocal`` when its toolbar is built, Leaflet
its zoom buttons' titles from ``L.Control.Zoom``'s options when the map is made, and
leaflet-measure its unit names from its ``units`` option; the rest of leaflet-measure is
compiled into its per-language builds (:func:`webmap.assets.measure_js`). So the labels must
be set after those scripts load and before the map script runs: :class:`LeafletI18n` puts
them in the page's head as JSON (``#fossilgis-leaflet-strings``, from
:data:`webmap.i18n.LEAFLET_STRINGS`), then the plugins' scripts, then
``/static/js/fossilgis-leaflet-i18n.js``, which applies them as it loads.
"""

from __future__ import annotations

import json

from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from webmap.i18n import leaflet_strings
from webmap.static_urls import static_path

SCRIPT = "js/fossilgis-leaflet-i18n.js"
STRINGS_ID = "fossilgis-leaflet-strings"


def wanted(key: str, plugins: set[str]) -> bool:
    """Whether a map loading the scripts named ``plugins`` needs the label ``key``: the zoom
    buttons' always, the units' with leaflet-measure, the others with Leaflet.draw."""
    if key.startswith("zoom_"):
        return True
    if key.startswith("unit_"):
        return "leaflet_measure_js" in plugins
    return "leaflet_draw_js" in plugins


def strings_json(lang: str, plugins: set[str]) -> str:
    """The labels as JSON that is safe inside ``<script>`` (no ``<``, ``>`` or ``&``)."""
    labels = {k: v for k, v in leaflet_strings(lang).items() if wanted(k, plugins)}
    text = json.dumps(labels, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class LeafletI18n(JSCSSMixin, MacroElement):
    """The labels of ``lang`` and the script that applies them, after ``plugins`` (the
    ``(name, url)`` scripts of the plugins this map uses, named as folium names them, so
    that each is loaded once and before the labels are applied)."""

    _template = Template("")

    def __init__(self, lang: str, plugins=()):
        super().__init__()
        self._name = "LeafletI18n"
        self.lang = lang
        self.plugins = {name for name, _url in plugins}
        # instance attribute: the class list stays empty
        self.default_js = [*plugins, ("fossilgis_leaflet_i18n_js", static_path(SCRIPT))]

    def render(self, **kwargs):
        self.get_root().header.add_child(
            Element(
                f'<script type="application/json" id="{STRINGS_ID}">'
                f"{strings_json(self.lang, self.plugins)}</script>"
            ),
            name="fossilgis_leaflet_strings",
        )
        super().render(**kwargs)
