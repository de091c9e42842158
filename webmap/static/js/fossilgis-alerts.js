/* fossilgis alerts: the map of /alerts (the listed alerts, coloured by where they stand) and
   of one alert's page, and the confirmation of the forms that close or reopen an alert.
   The points come in the page's JSON config (staff pages only); every value is put into the
   page as text (textContent), never as HTML.

   The map is made by the page's folium shell, whose inline script runs after this file:
   a Leaflet init hook catches the map as it is made, and the points are drawn once the
   document is parsed. */
(function () {
  "use strict";

  var COLOURS = {open: "#e66101", overdue: "#a50026", closed: "#1a9850"};
  var C = window.FossilGISCommon;
  var maps = C.maps, readConfig = C.readConfig, el = C.el;
  var S = {};

  function label(key, fallback) { return C.label(S, key, fallback); }

  function popup(p, linked) {
    var box = el("div", "fg-popup fg-alert-popup");
    box.appendChild(el("div", "fg-popup-zh", p.label));
    box.appendChild(el("div", null, p.time + (p.target ? " · " + p.target : "")));
    box.appendChild(el("div", "fg-status-" + p.status, label("state:" + p.status, p.status)));
    if (linked) {
      var link = el("a", "fg-popup-link", label("open_alert"));
      link.href = p.url;
      box.appendChild(link);
    }
    return box;
  }

  function legend(map) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("div", "fg-legend leaflet-bar");
      box.appendChild(el("strong", null, label("legend")));
      ["open", "overdue", "closed"].forEach(function (code) {
        var row = el("div", "fg-legend-row");
        var sw = el("span", "fg-swatch");
        sw.style.background = COLOURS[code];
        row.appendChild(sw);
        row.appendChild(el("span", null, label("state:" + code, code)));
        box.appendChild(row);
      });
      return box;
    };
    control.addTo(map);
  }

  function draw(map, cfg) {
    var group = L.featureGroup().addTo(map);
    (cfg.alerts || []).forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: 7, color: "#fff", weight: 2, fillColor: COLOURS[p.status] || "#666",
        fillOpacity: 0.9, className: "fg-alert-point fg-alert-" + p.status
      });
      marker.bindPopup(popup(p, cfg.page === "alerts"));
      group.addLayer(marker);
    });
    legend(map);
    if (group.getLayers().length) {  // one alert: its surroundings, not one blank tile
      map.fitBounds(group.getBounds(), {maxZoom: 11, padding: [24, 24]});
    }
    document.body.setAttribute("data-layers-loaded", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    C.confirmForms();
    var cfg = readConfig();
    S = cfg.strings || {};
    var map = maps[0];
    if (map && (cfg.page === "alerts" || cfg.page === "alert")) { draw(map, cfg); }
  });
}());
