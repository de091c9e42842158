/* fossilgis case register: the map of /cases (the listed cases' footprints and "search this
   map extent"), the map of one case (its footprints, the affected targets and their control
   and attention rings) and the confirmation of the forms that close or withdraw a case.
   Every value is put into the page as text (textContent), never as HTML.

   The map is made by the page's folium shell, whose inline script runs after this file:
   a Leaflet init hook catches the map as it is made, and its layers are drawn once the
   document is parsed. */
(function () {
  "use strict";

  var GRADE_COLOURS = {none: "#1a9850", attention: "#d8b365", assess: "#f46d43", avoid: "#a50026"};
  var FOOTPRINT_COLOUR = "#e31a1c";
  var CONTROL_COLOUR = "#d95f0e";
  var ATTENTION_COLOUR = "#fec44f";
  var C = window.FossilGISCommon;
  var maps = C.maps, readConfig = C.readConfig, el = C.el;
  var S = {};

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }

  function label(key, fallback) { return C.label(S, key, fallback); }

  function failed(err) {
    document.body.setAttribute("data-layers-error", String(err && err.message));
  }

  function legend(map, rows) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("div", "fg-legend leaflet-bar");
      box.appendChild(el("strong", null, label("legend")));
      rows.forEach(function (item) {
        var row = el("div", "fg-legend-row");
        var sw = el("span", item[0]);
        sw.style.background = item[1];
        row.appendChild(sw);
        row.appendChild(el("span", null, item[2]));
        box.appendChild(row);
      });
      return box;
    };
    control.addTo(map);
  }

  /* ---- one case: footprints, affected targets, rings ------------------------------- */
  function caseStyle(f) {
    var p = f.properties;
    if (p.role === "footprint") {
      return {color: FOOTPRINT_COLOUR, weight: 3, fillColor: FOOTPRINT_COLOUR, fillOpacity: 0.25,
              className: "fg-case-footprint"};
    }
    if (p.role === "zone") {
      return p.zone === "control" ?
        {color: CONTROL_COLOUR, weight: 1, fillColor: CONTROL_COLOUR, fillOpacity: 0.15,
         className: "fg-case-zone-control"} :
        {color: ATTENTION_COLOUR, weight: 1, fillColor: ATTENTION_COLOUR, fillOpacity: 0.12,
         dashArray: "3 4", className: "fg-case-zone-attention"};
    }
    var c = GRADE_COLOURS[p.grade] || "#666";
    return {color: c, weight: 2, fillColor: c, fillOpacity: 0.4, className: "fg-case-target"};
  }

  function casePopup(p) {
    var box = el("div", "fg-popup");
    if (p.role === "footprint") {
      box.appendChild(el("div", "fg-popup-zh", label("case_footprint") + " " + (p.project_id || "")));
    } else {
      box.appendChild(el("div", "fg-popup-zh", p.id + " " + (p.name || "")));
      box.appendChild(el("div", null, label("grade:" + p.grade, p.grade)));
    }
    return box;
  }

  function casePage(map, cfg) {
    var layer = L.geoJSON(null, {
      style: caseStyle,
      filter: function (f) { return f.properties.role !== "zone"; },
      onEachFeature: function (f, lyr) { lyr.bindPopup(casePopup(f.properties)); }
    });
    var rings = L.geoJSON(null, {
      style: caseStyle,
      interactive: false,
      filter: function (f) { return f.properties.role === "zone"; }
    });
    rings.addTo(map);
    layer.addTo(map);
    legend(map, [
      ["fg-swatch", FOOTPRINT_COLOUR, label("case_footprint")],
      ["fg-swatch", GRADE_COLOURS.assess, label("affected_target")],
      ["fg-swatch", CONTROL_COLOUR, label("layer_control")],
      ["fg-swatch", ATTENTION_COLOUR, label("layer_attention")]
    ]);
    return getJSON(cfg.urls.map).then(function (data) {
      rings.addData(data);
      layer.addData(data);
      var b = layer.getBounds();
      if (b.isValid()) { map.fitBounds(b, {maxZoom: 16, padding: [20, 20]}); }
      document.body.setAttribute("data-layers-loaded", "true");
    });
  }

  /* ---- the list: the listed cases' footprints, "search this map extent" -------------- */
  function listPopup(p) {
    var box = el("div", "fg-popup");
    var link = el("a", "fg-popup-link", p.number);
    link.href = p.url;
    box.appendChild(link);
    box.appendChild(el("div", "fg-popup-zh", p.project_name));
    box.appendChild(el("div", null, p.status_label + " · " + p.grade_label));
    return box;
  }

  function listPage(map, cfg) {
    var shapes = L.geoJSON(null, {
      style: function () {
        return {color: FOOTPRINT_COLOUR, weight: 2, fillOpacity: 0.3, className: "fg-case-footprint"};
      },
      onEachFeature: function (f, lyr) { lyr.bindPopup(listPopup(f.properties)); }
    }).addTo(map);
    // small footprints vanish at province scale: a dot marks each one
    var dots = L.featureGroup().addTo(map);
    legend(map, [["fg-swatch", FOOTPRINT_COLOUR, label("case_footprint")]]);
    if (cfg.bbox) {
      var b = cfg.bbox;
      map.fitBounds([[b[1], b[0]], [b[3], b[2]]]);
    }
    function extent() {  // the map's view as w,s,e,n, within the world
      var bb = map.getBounds();
      return [[bb.getWest(), 180], [bb.getSouth(), 90], [bb.getEast(), 180], [bb.getNorth(), 90]]
        .map(function (v) { return Math.max(-v[1], Math.min(v[1], v[0])).toFixed(5); }).join(",");
    }
    var first = true;
    function load() {
      var url = cfg.urls.footprints;
      url += (url.indexOf("?") < 0 ? "?" : "&") + "view=" + extent();
      return getJSON(url).then(function (data) {
        shapes.clearLayers();
        dots.clearLayers();
        shapes.addData(data);
        shapes.eachLayer(function (lyr) {
          var dot = L.circleMarker(lyr.getBounds().getCenter(), {
            radius: 5, color: FOOTPRINT_COLOUR, weight: 2, fillOpacity: 0.8,
            className: "fg-case-dot"});
          dot.bindPopup(listPopup(lyr.feature.properties));
          dots.addLayer(dot);
        });
        if (first && cfg.fit && shapes.getLayers().length) {
          map.fitBounds(shapes.getBounds(), {maxZoom: 13, padding: [20, 20]});
        }
        first = false;
        document.body.setAttribute("data-layers-loaded", "true");
      }).catch(failed);
    }
    map.on("moveend", load);
    var button = document.getElementById("cases-search-extent");
    var form = document.getElementById("case-filters");
    var input = document.getElementById("filter-bbox");
    if (button && form && input) {
      button.addEventListener("click", function () {
        input.value = extent();
        form.submit();
      });
    }
    return load();
  }

  document.addEventListener("DOMContentLoaded", function () {
    C.confirmForms();
    var cfg = readConfig();
    S = cfg.strings || {};
    var map = maps[0];
    if (!map) { return; }
    if (cfg.page === "case") {
      casePage(map, cfg).catch(failed);
    } else if (cfg.page === "cases") {
      listPage(map, cfg);
    }
  });
}());
