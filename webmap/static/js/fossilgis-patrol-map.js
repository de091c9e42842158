/* fossilgis patrol detail page: the map of one patrol — its target's outline for context,
   its track (lines) and its waypoints (circles coloured by observation category, alerts
   larger with a dark ring), with a legend. The data are in the page's JSON config (staff
   only: a visitor's page has no map); every value is put into the page as text
   (textContent), never as HTML.

   The map is made by the page's folium shell, whose inline script runs after this file:
   a Leaflet init hook catches the map as it is made, and its layers are drawn once the
   document is parsed. */
(function () {
  "use strict";

  var CATEGORY_COLOURS = {
    intact: "#1a9850",
    weathering: "#a6761d",
    vegetation: "#66a61e",
    human_damage: "#d7191c",
    illegal_excavation: "#a50026",
    construction_encroachment: "#e66101",
    signage_damaged: "#7570b3",
    other: "#666666"
  };
  var NO_OBSERVATION = "#1f78b4";
  var TRACK_COLOUR = "#1f78b4";
  var TARGET_COLOUR = "#6a3d9a";
  var C = window.FossilGISCommon;
  var maps = C.maps, readConfig = C.readConfig, el = C.el;
  var S = {};

  function label(key, fallback) { return C.label(S, key, fallback); }

  function colour(p) {
    return p.category ? (CATEGORY_COLOURS[p.category] || CATEGORY_COLOURS.other) : NO_OBSERVATION;
  }

  function popup(p) {
    var box = el("div", "fg-popup");
    box.appendChild(el("div", "fg-popup-zh", label("waypoint").replace("{n}", p.number)));
    box.appendChild(el("div", null, p.category_label + (p.severity_label ? " · " + p.severity_label : "")));
    if (p.alert) { box.appendChild(el("div", "fg-alert-popup", label("alert"))); }
    box.appendChild(el("div", null, p.observed));
    if (p.description) { box.appendChild(el("div", null, p.description)); }
    return box;
  }

  function swatch(colourValue, round) {
    var sw = el("span", "fg-swatch");
    sw.style.background = colourValue;
    if (round) { sw.style.borderRadius = "50%"; sw.style.width = "10px"; }
    return sw;
  }

  function legend(map, data, categories) {
    var used = {};
    var alerts = false;
    data.features.forEach(function (f) {
      var p = f.properties;
      if (p.role === "waypoint") {
        used[p.category || ""] = true;
        alerts = alerts || p.alert;
      }
    });
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("div", "fg-legend leaflet-bar");
      box.id = "patrol-map-legend";
      box.appendChild(el("strong", null, label("legend")));
      function row(sw, text) {
        var r = el("div", "fg-legend-row");
        r.appendChild(sw);
        r.appendChild(el("span", null, text));
        box.appendChild(r);
      }
      data.features.forEach(function (f) {
        if (f.properties.role === "target") { row(swatch(TARGET_COLOUR), label("target")); }
        if (f.properties.role === "track") { row(swatch(TRACK_COLOUR), label("track")); }
      });
      Object.keys(CATEGORY_COLOURS).forEach(function (code) {
        if (used[code]) { row(swatch(CATEGORY_COLOURS[code], true), categories[code] || code); }
      });
      if (used[""]) { row(swatch(NO_OBSERVATION, true), label("no_observation")); }
      if (alerts) {
        var sw = swatch("#fff", true);
        sw.style.border = "3px solid #000";
        row(sw, label("alert"));
      }
      return box;
    };
    control.addTo(map);
  }

  function draw(map, cfg) {
    var data = cfg.patrol_map || {type: "FeatureCollection", features: []};
    var layer = L.geoJSON(data, {
      style: function (f) {  // applied to the waypoints' circles too: they keep their own
        if (f.properties.role === "waypoint") { return {}; }
        if (f.properties.role === "target") {
          return {color: TARGET_COLOUR, weight: 2, fillColor: TARGET_COLOUR, fillOpacity: 0.12,
                  dashArray: "5 4", className: "fg-patrol-target"};
        }
        return {color: TRACK_COLOUR, weight: 3, opacity: 0.9, className: "fg-patrol-track"};
      },
      pointToLayer: function (f, ll) {
        var p = f.properties;
        return L.circleMarker(ll, {
          radius: p.alert ? 9 : 6,
          color: p.alert ? "#000" : "#fff",
          weight: p.alert ? 3 : 2,
          fillColor: colour(p),
          fillOpacity: 0.95,
          className: p.alert ? "fg-patrol-waypoint fg-patrol-alert" : "fg-patrol-waypoint"
        });
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties;
        if (p.role === "waypoint") { lyr.bindPopup(popup(p)); }
        if (p.role === "target") { lyr.bindTooltip(el("span", null, p.label)); }
      }
    }).addTo(map);
    // the alerts on top of the other waypoints, the waypoints on top of the lines
    layer.eachLayer(function (lyr) {
      if (lyr.feature.properties.alert && lyr.bringToFront) { lyr.bringToFront(); }
    });
    legend(map, data, cfg.categories || {});
    var b = layer.getBounds();
    if (b.isValid()) { map.fitBounds(b, {maxZoom: 16, padding: [20, 20]}); }
    document.body.setAttribute("data-patrol-map", String(data.features.length));
    document.body.setAttribute("data-layers-loaded", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var cfg = readConfig();
    S = cfg.strings || {};
    var map = maps[0];
    if (!map || cfg.page !== "patrol") { return; }
    try {
      draw(map, cfg);
    } catch (err) {
      document.body.setAttribute("data-layers-error", String(err && err.message));
      throw err;
    }
  });
}());
