/* fossilgis: Leaflet's own controls and its plugins in the page's language.

   Loaded in the page's head after leaflet.js and the plugins a map uses (Leaflet.draw,
   leaflet-measure) and before the map script runs, so every control is built with these
   labels: Leaflet.draw reads L.drawLocal when its toolbar is made, Leaflet the zoom buttons'
   titles when the map is made, leaflet-measure its unit names when it is made (the rest of
   leaflet-measure is compiled into its per-language build). The labels come from
   webmap/i18n.py (LEAFLET_STRINGS) as JSON in #fossilgis-leaflet-strings, just before this
   script. Leaflet.draw puts its action texts and tooltips into the page as HTML, so those
   are escaped here; titles are attributes. */
(function () {
  "use strict";

  var node = document.getElementById("fossilgis-leaflet-strings");
  var S = node ? JSON.parse(node.textContent) : {};

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }

  /* each key of S found is set, as text (title) or as escaped HTML (html) */
  function title(key, fallback) { return S[key] === undefined ? fallback : S[key]; }
  function html(key, fallback) { return S[key] === undefined ? fallback : esc(S[key]); }

  function zoom() {
    if (!(window.L && L.Control && L.Control.Zoom)) { return; }
    L.Control.Zoom.mergeOptions({
      zoomInTitle: title("zoom_in", "Zoom in"),
      zoomOutTitle: title("zoom_out", "Zoom out")
    });
  }

  function draw() {
    if (!(window.L && L.drawLocal)) { return; }
    var d = L.drawLocal.draw, e = L.drawLocal.edit;
    var tb = d.toolbar, h = d.handlers;
    tb.actions = {title: title("draw_cancel_title", tb.actions.title),
                  text: html("cancel", tb.actions.text)};
    tb.finish = {title: title("draw_finish_title", tb.finish.title),
                 text: html("draw_finish", tb.finish.text)};
    tb.undo = {title: title("draw_undo_title", tb.undo.title),
               text: html("draw_undo", tb.undo.text)};
    tb.buttons.polyline = title("draw_polyline", tb.buttons.polyline);
    tb.buttons.polygon = title("draw_polygon", tb.buttons.polygon);
    tb.buttons.rectangle = title("draw_rectangle", tb.buttons.rectangle);
    h.polyline.error = html("polyline_error", h.polyline.error);
    h.polyline.tooltip = {start: html("polyline_start", h.polyline.tooltip.start),
                          cont: html("polyline_cont", h.polyline.tooltip.cont),
                          end: html("polyline_end", h.polyline.tooltip.end)};
    h.polygon.tooltip = {start: html("polygon_start", h.polygon.tooltip.start),
                         cont: html("polygon_cont", h.polygon.tooltip.cont),
                         end: html("polygon_end", h.polygon.tooltip.end)};
    h.rectangle.tooltip.start = html("rectangle_start", h.rectangle.tooltip.start);
    h.simpleshape.tooltip.end = html("shape_end", h.simpleshape.tooltip.end);
    var ea = e.toolbar.actions, eb = e.toolbar.buttons, eh = e.handlers;
    ea.save = {title: title("edit_save_title", ea.save.title), text: html("edit_save", ea.save.text)};
    ea.cancel = {title: title("edit_cancel_title", ea.cancel.title),
                 text: html("cancel", ea.cancel.text)};
    ea.clearAll = {title: title("edit_clear_title", ea.clearAll.title),
                   text: html("edit_clear", ea.clearAll.text)};
    eb.edit = title("edit_layers", eb.edit);
    eb.editDisabled = title("edit_none", eb.editDisabled);
    eb.remove = title("remove_layers", eb.remove);
    eb.removeDisabled = title("remove_none", eb.removeDisabled);
    eh.edit.tooltip = {text: html("edit_tooltip", eh.edit.tooltip.text),
                       subtext: html("edit_subtext", eh.edit.tooltip.subtext)};
    eh.remove.tooltip = {text: html("remove_tooltip", eh.remove.tooltip.text)};
  }

  function measure() {
    if (!(window.L && L.Control && L.Control.Measure)) { return; }
    // a display name the build does not know is shown as it is (and put in as HTML)
    L.Control.Measure.mergeOptions({units: {
      meters: {factor: 1, display: html("unit_m", "m"), decimals: 0},
      kilometers: {factor: 0.001, display: html("unit_km", "km"), decimals: 2},
      sqmeters: {factor: 1, display: html("unit_m2", "m²"), decimals: 0},
      hectares: {factor: 0.0001, display: html("unit_ha", "ha"), decimals: 2}
    }});
  }

  function apply() { zoom(); draw(); measure(); }

  apply();
  window.FossilGISLeafletI18n = {strings: S, apply: apply};
}());
