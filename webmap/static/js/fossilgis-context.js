/* fossilgis context layers: the geography under the sites on every map (the province
   outline, the office's prefectures and counties with their names, rivers, the office's
   roads, the cities as labelled points), as one overlay, "Geographic context", on by
   default, with its credit line in the map's attribution.

   The list of layers comes from /api/context.json and each layer from its GeoJSON URL there,
   when the page loads (a layer the office imports later appears without a new page). They
   are drawn in their own panes under the sites and sections (overlay pane: 400), which stay
   clickable: only rivers and roads react to the pointer, to show their names. Every value is
   put into the page as text (textContent), never as HTML. */
(function () {
  "use strict";

  /* line styles by layer; polygons are outlines only */
  var STYLES = {
    province: {color: "#2f2f2f", weight: 2.5, opacity: 0.9, fill: false},
    prefectures: {color: "#555", weight: 1.2, opacity: 0.8, fill: false, dashArray: "6 3"},
    counties: {color: "#777", weight: 0.8, opacity: 0.8, fill: false, dashArray: "2 3"},
    rivers: {color: "#3a7fc4", weight: 1.6, opacity: 0.9},
    roads: {color: "#b26a2e", weight: 1.2, opacity: 0.85}
  };
  /* the zoom from which a polygon layer's names are written */
  var NAME_ZOOM = {prefectures: 8, counties: 9};
  /* cities that are not prefecture seats (an office's places file) are named from here */
  var TOWN_ZOOM = 9;
  var LINE_PANE = "fgContext", LABEL_PANE = "fgContextLabels";

  /* the page script's helpers (fossilgis-map.js, loaded on every map page; called once
     both files have loaded) */
  function getJSON(url) { return window.FossilGIS.getJSON(url); }
  function el(tag, cls, text) { return window.FossilGIS.el(tag, cls, text); }

  /* Leaflet writes attributions as HTML: the credit line goes in escaped */
  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function pick(obj, lang) {
    return obj ? (lang === "zh" ? obj.zh || obj.en : obj.en || obj.zh) : "";
  }

  function nameOf(p, lang) {
    var zh = p.name_zh, en = p.name_en;
    return lang === "zh" ? (zh || en || "") : (en || zh || "");
  }

  function panes(map) {
    if (!map.getPane(LINE_PANE)) {
      // above the fossil potential (350), under the sites and sections (400)
      map.createPane(LINE_PANE).style.zIndex = 360;
      var labels = map.createPane(LABEL_PANE);
      labels.style.zIndex = 390;
      labels.style.pointerEvents = "none";
    }
  }

  /* a name written on the map: a marker holding a text node, never reacting to the pointer */
  function nameMarker(latlng, text, cls) {
    var box = el("div", "fg-ctx-label " + cls);
    box.appendChild(el("span", null, text));
    return L.marker(latlng, {
      pane: LABEL_PANE, interactive: false, keyboard: false,
      icon: L.divIcon({className: "fg-ctx-name", html: box, iconSize: null})
    });
  }

  /* names shown only from a zoom: groups that join and leave the overlay as the map zooms */
  function byZoom(map, overlay) {
    var groups = [];
    function update() {
      var z = map.getZoom();
      groups.forEach(function (g) {
        var show = map.hasLayer(overlay) && z >= g.minZoom;
        if (show && !overlay.hasLayer(g.layer)) { overlay.addLayer(g.layer); }
        if (!show && overlay.hasLayer(g.layer)) { overlay.removeLayer(g.layer); }
      });
    }
    map.on("zoomend", update);
    map.on("overlayadd", update);
    return {
      add: function (layer, minZoom) { groups.push({layer: layer, minZoom: minZoom}); update(); }
    };
  }

  function drawPolygons(info, data, lang, overlay, zoomed) {
    var names = L.layerGroup();
    overlay.addLayer(L.geoJSON(data, {
      pane: LINE_PANE,
      interactive: false,
      style: function () {
        var s = L.extend({}, STYLES[info.name] || STYLES.counties);
        s.className = "fg-ctx fg-ctx-" + info.name;
        return s;
      },
      onEachFeature: function (f) {
        var p = f.properties || {}, text = nameOf(p, lang);
        if (info.name !== "province" && text && p.label) {
          names.addLayer(nameMarker([p.label[1], p.label[0]], text, "fg-ctx-" + info.name + "-name"));
        }
      }
    }));
    if (names.getLayers().length) { zoomed.add(names, NAME_ZOOM[info.name] || NAME_ZOOM.counties); }
  }

  function drawLines(info, data, lang, overlay) {
    overlay.addLayer(L.geoJSON(data, {
      pane: LINE_PANE,
      style: function () {
        var s = L.extend({}, STYLES[info.name] || STYLES.roads);
        s.className = "fg-ctx fg-ctx-" + info.name;
        return s;
      },
      onEachFeature: function (f, lyr) {
        var text = nameOf(f.properties || {}, lang);
        if (text) { lyr.bindTooltip(el("span", "fg-ctx-tip", text), {sticky: true}); }
      }
    }));
  }

  function drawPlaces(info, data, lang, overlay, zoomed) {
    var seats = L.layerGroup(), towns = L.layerGroup();
    data.features.forEach(function (f) {
      var g = f.geometry, p = f.properties || {};
      if (!g) { return; }
      var seat = !p.rank || p.rank === "prefecture";
      var group = seat ? seats : towns;
      var text = nameOf(p, lang);
      (g.type === "MultiPoint" ? g.coordinates : [g.coordinates]).forEach(function (xy) {
        var ll = L.GeoJSON.coordsToLatLng(xy);
        group.addLayer(L.circleMarker(ll, {
          pane: LINE_PANE, radius: seat ? 4 : 3, color: "#222", weight: 1.5, fillColor: "#fff",
          fillOpacity: 1, interactive: false, className: "fg-ctx fg-ctx-place"}));
        if (text) { group.addLayer(nameMarker(ll, text, "fg-ctx-place-name")); }
      });
    });
    overlay.addLayer(seats);
    if (towns.getLayers().length) { zoomed.add(towns, TOWN_ZOOM); }
  }

  /* Add the context overlay to ``map``.
     options: url (of /api/context.json), lang ("zh" | "en"), label and attribution ({zh,
     en}: the overlay's name, its credit line), control (true: the map gets a layer control
     of its own for it). Sets map.fossilgisContext = {layer, label, ready}: a page with its
     own layer control lists the layer there (fossilgis-map.js). */
  function add(map, options) {
    panes(map);
    var lang = options.lang === "zh" ? "zh" : "en";
    var credit = pick(options.attribution, lang);
    // the credit goes with the overlay: in the attribution control while the overlay is on
    var overlay = L.layerGroup([], credit ? {attribution: escapeHTML(credit)} : {});
    var label = pick(options.label, lang);
    var zoomed = byZoom(map, overlay);
    var drawers = {polygon: drawPolygons, line: drawLines, point: drawPlaces};
    var ready = getJSON(options.url).then(function (index) {
      return Promise.all(index.layers.map(function (info) {
        return getJSON(info.url).then(function (data) { return [info, data]; });
      }));
    }).then(function (loaded) {
      var counts = {};
      loaded.forEach(function (pair) {  // in the list's order: bottom first
        var info = pair[0];
        (drawers[info.geometry] || drawLines)(info, pair[1], lang, overlay, zoomed);
        counts[info.name] = pair[1].features.length;
      });
      document.body.setAttribute("data-context-loaded", JSON.stringify(counts));
      return counts;
    }).catch(function (err) {
      document.body.setAttribute("data-context-error", String(err && err.message));
    });
    overlay.addTo(map);
    if (options.control) {
      var overlays = {};
      overlays[label] = overlay;
      L.control.layers(null, overlays, {collapsed: true}).addTo(map);
    }
    map.fossilgisContext = {layer: overlay, label: label, ready: ready};
    return map.fossilgisContext;
  }

  window.FossilGISContext = {add: add};
}());
