"""The folium element that puts the context layers (province outline, counties, rivers,
cities …) under the sites on every web map; they are drawn by
``/static/js/fossilgis-context.js`` from ``/api/context.json`` (:mod:`webmap.views.context`).

The map shells are rendered once per process and language, so the element holds only the
list's URL, the overlay's label and the credit line in that language; which layers there
are is asked when the page loads, and a layer the office imports later is drawn at once.
"""

from __future__ import annotations

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from fossilgis.context import ATTRIBUTION
from webmap.i18n import text
from webmap.static_urls import static_path

SCRIPT = "js/fossilgis-context.js"


class ContextLayers(JSCSSMixin, MacroElement):
    """Loads the context script and adds the "Geographic context" overlay to the map; with
    ``own_control`` the map gets a layer control for it (the main map's page script lists it
    in its own control instead)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            FossilGISContext.add({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
    """)
    default_js = [("fossilgis_context_js", static_path(SCRIPT))]

    def __init__(self, url: str, lang: str, own_control: bool):
        super().__init__()
        self._name = "ContextLayers"
        self.options = {
            "url": url,
            "lang": lang,
            "label": {lang: text("context_overlay", lang)},
            "attribution": {lang: ATTRIBUTION[lang]},
            "control": own_control,
        }


def add_context_layers(folium_map, lang: str, own_control: bool = True) -> None:
    """Add :class:`ContextLayers` to ``folium_map`` (in a request: it needs ``url_for``)."""
    from flask import url_for

    ContextLayers(url_for("context.index_json"), lang, own_control).add_to(folium_map)
