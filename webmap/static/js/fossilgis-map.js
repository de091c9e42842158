/* fossilgis web map: fetches the layers as GeoJSON from the app and builds popups, legend,
   search and layer control. Every value is put into the page as text (textContent), never
   as HTML. */
(function () {
  "use strict";

  var LEVEL_COLOURS = {national_key: "#b2182b", provincial_key: "#e66101", general: "#2c7bb6"};
  var GRADE_COLOURS = {none: "#1a9850", attention: "#d8b365", assess: "#f46d43", avoid: "#a50026"};
  var SECTION_COLOUR = "#542788";
  var cfg = null;
  var S = {};

  function readConfig() {
    var node = document.getElementById("fossilgis-config");
    return node ? JSON.parse(node.textContent) : {};
  }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function label(key, fallback) {
    return Object.prototype.hasOwnProperty.call(S, key) ? S[key] : (fallback || key);
  }

  function present(v) { return v !== undefined && v !== null && v !== ""; }

  /* ---- popups ---------------------------------------------------------------------- */
  function popupFor(kind, p) {
    var box = el("div", "fg-popup");
    box.appendChild(el("div", "fg-popup-zh", p.name_zh));
    box.appendChild(el("div", "fg-popup-en", p.name_en));
    var table = el("table", "fg-popup-table");
    function row(key, value) {
      if (!present(value)) { return; }
      var tr = el("tr");
      tr.appendChild(el("th", null, label(key)));
      tr.appendChild(el("td", null, value));
      table.appendChild(tr);
    }
    row("id", p.id);
    row("age", p.age);
    row("formation", p.formation);
    if (kind === "sites") { row("fossils", p.fossils); } else { row("boundary", p.boundary); }
    row("protection_level", label("level:" + p.protection_level, p.protection_level));
    var acc = [p.accuracy_class, present(p.accuracy_m) ? "±" + p.accuracy_m + " m" : null]
      .filter(present).join(" ");
    row("accuracy", acc + (p.generalised ? " · " + label("generalised") : ""));
    if (p.last_patrol !== undefined) {  // staff only: set from /api/coverage.json
      row("last_patrol", p.last_patrol || label("no_patrols"));
    }
    box.appendChild(table);
    var link = el("a", "fg-popup-link", label("details"));
    link.href = (kind === "sites" ? cfg.urls.site_page : cfg.urls.section_page) +
      encodeURIComponent(p.id);
    box.appendChild(link);
    return box;
  }

  function tooltipFor(p) {
    return el("span", null, p.name_zh + " " + p.name_en);
  }

  /* ---- layers ---------------------------------------------------------------------- */
  function siteStyle(f) {
    var c = LEVEL_COLOURS[f.properties.protection_level] || "#666";
    return {color: c, weight: 2, fillColor: c, fillOpacity: 0.35, className: "fg-site"};
  }

  function sectionStyle() {
    return {color: SECTION_COLOUR, weight: 4, className: "fg-section"};
  }

  function zoneStyle(zone) {
    return function () {
      return zone === "control" ?
        {color: "#d95f0e", weight: 1, fillOpacity: 0.12, className: "fg-zone-control"} :
        {color: "#fec44f", weight: 1, fillOpacity: 0.10, dashArray: "3 4",
         className: "fg-zone-attention"};
    };
  }

  function targetLayer(kind, accuracyGroup) {
    return L.geoJSON(null, {
      style: kind === "sites" ? siteStyle : sectionStyle,
      onEachFeature: function (f, layer) {
        layer.bindPopup(function () { return popupFor(kind, f.properties); });
        layer.bindTooltip(tooltipFor(f.properties), {sticky: true});
        if (accuracyGroup && present(f.properties.accuracy_m) && layer.getBounds) {
          accuracyGroup.addLayer(L.circle(layer.getBounds().getCenter(), {
            radius: f.properties.accuracy_m, color: "#555", weight: 1, fill: false,
            dashArray: "4 4", interactive: false, className: "fg-accuracy"}));
        }
      }
    });
  }

  function loader(map, url, layers, byBbox) {
    function load() {
      var u = url;
      if (byBbox) { u += (u.indexOf("?") < 0 ? "?" : "&") + "bbox=" + map.getBounds().toBBoxString(); }
      return getJSON(u).then(function (data) {
        layers.forEach(function (entry) {
          entry.layer.clearLayers();
          if (entry.extra) { entry.extra.clearLayers(); }
          var feats = entry.filter ? data.features.filter(entry.filter) : data.features;
          entry.layer.addData({type: "FeatureCollection", features: feats});
        });
        return data;
      });
    }
    if (byBbox) { map.on("moveend", load); }
    return load();
  }

  function legend(map) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = el("div", "fg-legend leaflet-bar");
      box.appendChild(el("strong", null, label("legend")));
      Object.keys(LEVEL_COLOURS).forEach(function (level) {
        var row = el("div", "fg-legend-row");
        var sw = el("span", "fg-swatch");
        sw.style.background = LEVEL_COLOURS[level];
        row.appendChild(sw);
        row.appendChild(el("span", null, label("layer_sites") + " · " + label("level:" + level)));
        box.appendChild(row);
      });
      var rows = [["fg-line", SECTION_COLOUR, "layer_sections"],
                  ["fg-swatch", "#d95f0e", "layer_control"],
                  ["fg-swatch", "#fec44f", "layer_attention"], ["fg-ring", "", "layer_accuracy"]];
      // patrols and alerts are staff layers: no legend row where the map does not draw them
      if (cfg.urls.patrols) { rows.push(["fg-legend-patrol", "", "layer_patrols"]); }
      if (cfg.urls.alerts) { rows.push(["fg-legend-alert", "", "layer_alerts"]); }
      rows.forEach(function (item) {
          var row = el("div", "fg-legend-row");
          var sw = el("span", item[0]);
          if (item[1]) { sw.style.background = item[1]; }
          row.appendChild(sw);
          row.appendChild(el("span", null, label(item[2])));
          box.appendChild(row);
        });
      return box;
    };
    control.addTo(map);
  }

  /* a popup's table of [label key, value] rows; rows without a value are left out */
  function popupTable(rows) {
    var table = el("table", "fg-popup-table");
    rows.forEach(function (r) {
      if (!present(r[1])) { return; }
      var tr = el("tr");
      tr.appendChild(el("th", null, label(r[0])));
      tr.appendChild(el("td", null, r[1]));
      table.appendChild(tr);
    });
    return table;
  }

  /* ---- patrols, alerts, coverage ----------------------------------------------------- */
  function patrolPopup(p) {
    var box = el("div", "fg-popup");
    box.appendChild(el("div", "fg-popup-zh", label("patrol_title") + " " + p.started_at));
    box.appendChild(popupTable(
      [["target", p.target_id], ["col_waypoints", p.waypoints], ["col_alerts", p.alerts]]));
    var link = el("a", "fg-popup-link", label("details"));
    link.href = cfg.urls.patrol_page + encodeURIComponent(p.uuid);
    box.appendChild(link);
    return box;
  }

  function alertPopup(p) {
    var box = el("div", "fg-popup fg-alert-popup");
    box.appendChild(el("div", "fg-popup-zh", p.label));
    box.appendChild(el("div", null, p.report_time + " · " + label("severity:" + p.severity, p.severity)));
    if (present(p.target_id)) { box.appendChild(el("div", null, p.target_id)); }
    if (present(p.description)) { box.appendChild(el("div", "fg-popup-en", p.description)); }
    box.appendChild(el("div", "fg-status-" + p.status, label("status:" + p.status, p.status)));
    var link = el("a", "fg-popup-link", label("details"));
    link.href = cfg.urls.patrol_page + encodeURIComponent(p.patrol_uuid);
    box.appendChild(link);
    return box;
  }

  function patrolLayers(map, overlays) {
    var u = cfg.urls;
    var jobs = [];
    if (u.patrols && L.markerClusterGroup) {
      var patrols = L.markerClusterGroup({showCoverageOnHover: false, maxClusterRadius: 40});
      overlays[label("layer_patrols")] = patrols;
      patrols.addTo(map);
      jobs.push(getJSON(u.patrols).then(function (data) {
        patrols.addLayer(L.geoJSON(data, {
          pointToLayer: function (f, ll) {
            return L.marker(ll, {icon: L.divIcon({className: "fg-patrol-icon", iconSize: [14, 14]}),
                                 keyboard: false});
          },
          onEachFeature: function (f, lyr) {
            lyr.bindPopup(function () { return patrolPopup(f.properties); });
          }
        }));
      }));
    }
    if (u.alerts) {
      var alerts = L.geoJSON(null, {
        pointToLayer: function (f, ll) {
          return L.marker(ll, {icon: L.divIcon({className: "fg-alert-icon fg-alert-" + f.properties.status,
                                                iconSize: [22, 22], html: "!"}),
                               zIndexOffset: 1000, keyboard: false});
        },
        onEachFeature: function (f, lyr) {
          lyr.bindPopup(function () { return alertPopup(f.properties); });
        }
      });
      overlays[label("layer_alerts")] = alerts;
      alerts.addTo(map);
      jobs.push(getJSON(u.alerts).then(function (data) { alerts.addData(data); }));
    }
    return jobs;
  }

  function coverageLayer(map, control, siteData, sectionData) {
    if (!cfg.urls.coverage) { return Promise.resolve(); }
    return getJSON(cfg.urls.coverage).then(function (cov) {
      var overdue = [];
      [["sites", siteData], ["sections", sectionData]].forEach(function (pair) {
        (pair[1] ? pair[1].features : []).forEach(function (f) {
          var c = cov.targets[pair[0] + ":" + f.properties.id];
          if (!c) { return; }
          f.properties.last_patrol = c.last_patrol;
          if (c.overdue) { overdue.push(f); }
        });
      });
      var layer = L.geoJSON({type: "FeatureCollection", features: overdue}, {
        style: function () {
          return {color: "#d7191c", weight: 3, dashArray: "6 4", fill: false, interactive: false,
                  className: "fg-overdue"};
        }
      });
      control.addOverlay(layer, label("layer_coverage").replace("{days}", cov.days));
      layer.addTo(map);
    });
  }

  /* ---- fossil potential: the geological map's units by class (public, like PFYC maps) -- */
  function potentialPopup(p, classes) {
    var box = el("div", "fg-popup fg-potential-popup");
    box.appendChild(el("div", "fg-popup-zh", p.name_zh));
    box.appendChild(el("div", "fg-popup-en", p.name_en));
    var c = classes[p.potential_class];
    var name = c ? " · " + (cfg.lang === "zh" ? c.label_zh : c.label_en) : "";
    box.appendChild(popupTable(
      [["map_unit", p.unit], ["potential_class", p.potential_class + name]]));
    return box;
  }

  function potentialLegend(box, legendData) {
    box.textContent = "";
    box.appendChild(el("strong", null, label("layer_potential")));
    legendData.classes.forEach(function (c) {
      var row = el("div", "fg-legend-row fg-potential-row");
      var sw = el("span", "fg-swatch");
      sw.style.background = c.colour;
      row.appendChild(sw);
      row.appendChild(el("span", null, c["class"] + " · " + (cfg.lang === "zh" ? c.label_zh : c.label_en)));
      row.title = cfg.lang === "zh" ? c.description_zh : c.description_en;
      box.appendChild(row);
    });
    var f = legendData.formations;
    box.appendChild(el("div", "fg-potential-map muted", f.version ?
      label("potential_map").replace("{version}", f.version).replace("{count}", f.count) +
      (f.demonstration ? " · " + label("potential_demo") : "") : label("potential_no_map")));
    var hint = el("div", "fg-potential-hint");
    box.appendChild(hint);
    return hint;
  }

  function potentialLayer(map, control) {
    var u = cfg.urls;
    if (!u.potential || !u.potential_legend) { return; }
    var classes = {}, minZoom = 9, timer = null, asked = 0, hint = null, legendJob = null;
    // under the sites and sections (overlay pane: 400), so their popups stay clickable
    map.createPane("fgPotential").style.zIndex = 350;
    var layer = L.geoJSON(null, {
      pane: "fgPotential",
      style: function (f) {
        var c = f.properties.colour || "#999";
        return {color: c, weight: 1, fillColor: c, fillOpacity: 0.45,
                className: "fg-potential fg-potential-" + f.properties.potential_class};
      },
      onEachFeature: function (f, lyr) {
        lyr.bindPopup(function () { return potentialPopup(f.properties, classes); });
      }
    });
    var box = el("div", "fg-legend fg-potential-legend leaflet-bar");
    var legendControl = L.control({position: "bottomright"});
    legendControl.onAdd = function () { return box; };
    function say(text) { if (hint) { hint.textContent = text; } }
    function load() {
      if (!map.hasLayer(layer)) { return; }
      if (map.getZoom() < minZoom) {
        layer.clearLayers();
        say(label("potential_zoom_in").replace("{zoom}", minZoom));
        return;
      }
      var b = map.getBounds().pad(0.1);  // a margin for small pans
      var bbox = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90),
                  Math.min(b.getEast(), 180), Math.min(b.getNorth(), 90)].join(",");
      var mine = ++asked;
      getJSON(u.potential + "?bbox=" + bbox + "&zoom=" + Math.floor(map.getZoom())).then(function (data) {
        if (mine !== asked || !map.hasLayer(layer)) { return; }  // a newer view was asked for
        layer.clearLayers();
        layer.addData(data);
        say(data.truncated ? label("potential_truncated").replace("{n}", data.features.length)
          .replace("{total}", data.matched) : "");
        document.body.setAttribute("data-potential-loaded", String(data.features.length));
      }).catch(function (err) { say(String(err && err.message)); });
    }
    control.addOverlay(layer, label("layer_potential"));
    map.on("overlayadd", function (e) {
      if (e.layer !== layer) { return; }
      legendControl.addTo(map);
      legendJob = legendJob || getJSON(u.potential_legend).then(function (data) {
        data.classes.forEach(function (c) { classes[c["class"]] = c; });
        minZoom = data.min_zoom || minZoom;
        hint = potentialLegend(box, data);
        document.body.setAttribute("data-potential-legend", "true");
      });
      legendJob.then(load).catch(function (err) { box.textContent = String(err && err.message); });
    });
    map.on("overlayremove", function (e) {
      if (e.layer === layer) { layer.clearLayers(); legendControl.remove(); }
    });
    map.on("moveend", function () {
      clearTimeout(timer);
      if (map.hasLayer(layer)) { timer = setTimeout(load, 250); }
    });
  }

  function mainPage(map) {
    var accuracy = L.featureGroup();
    var sites = targetLayer("sites", accuracy).addTo(map);
    var sections = targetLayer("sections").addTo(map);
    var control = L.geoJSON(null, {style: zoneStyle("control"), interactive: false});
    var attention = L.geoJSON(null, {style: zoneStyle("attention"), interactive: false});
    accuracy.addTo(map);
    var overlays = {};
    var context = map.fossilgisContext;  // added by the map shell (fossilgis-context.js)
    if (context) { overlays[context.label] = context.layer; }
    overlays[label("layer_sites")] = sites;
    overlays[label("layer_sections")] = sections;
    overlays[label("layer_accuracy")] = accuracy;
    overlays[label("layer_control")] = control;
    overlays[label("layer_attention")] = attention;
    var patrolJobs = patrolLayers(map, overlays);
    var layerControl = L.control.layers(null, overlays, {collapsed: false}).addTo(map);
    if (map.fossilgisBaseLayers) {  // the online basemap, the office's archives, "None"
      map.fossilgisBaseLayers.then(function (base) {
        Object.keys(base).forEach(function (l) { layerControl.addBaseLayer(base[l], l); });
      });
    }
    legend(map);
    potentialLayer(map, layerControl);
    // staff only (the page is kept per state: a visitor's config says staff: false)
    if (window.FossilGISTracks && cfg.staff) { FossilGISTracks.overlay(map, layerControl); }
    var bb = cfg.bbox_mode || {};
    var zonesLoaded = false;
    function loadZones() {
      if (zonesLoaded) { return; }
      zonesLoaded = true;
      loader(map, cfg.urls.zones, [
        {layer: control, filter: function (f) { return f.properties.zone === "control"; }},
        {layer: attention, filter: function (f) { return f.properties.zone === "attention"; }}
      ], bb.zones);
    }
    map.on("overlayadd", function (e) {
      if (e.layer === control || e.layer === attention) { loadZones(); }
    });
    var done = Promise.all([
      loader(map, cfg.urls.sites, [{layer: sites, extra: accuracy}], bb.sites),
      loader(map, cfg.urls.sections, [{layer: sections}], bb.sections)
    ]).then(function (data) {
      document.body.setAttribute("data-layers-loaded", "true");
      return coverageLayer(map, layerControl, data[0], data[1]);
    });
    return Promise.all(patrolJobs.concat([done])).then(function () {
      document.body.setAttribute("data-patrols-loaded", "true");
    });
  }

  /* ---- small maps: one target, a screening result, the drawing map ------------------ */
  function targetPage(map) {
    var accuracy = L.featureGroup().addTo(map);
    var layer = L.geoJSON(null, {
      style: cfg.kind === "sites" ? siteStyle : sectionStyle,
      onEachFeature: function (f, lyr) {
        if (present(f.properties.accuracy_m) && lyr.getBounds) {
          accuracy.addLayer(L.circle(lyr.getBounds().getCenter(), {
            radius: f.properties.accuracy_m, color: "#555", weight: 1, fill: false,
            dashArray: "4 4", interactive: false}));
        }
      }
    }).addTo(map);
    // the last patrols' tracks and waypoints: the config has their URL for staff only
    var tracks = window.FossilGISTracks && cfg.urls.tracks ? FossilGISTracks.target(map, cfg) : null;
    return getJSON(cfg.urls.feature).then(function (data) {
      layer.addData(data);
      var b = accuracy.getLayers().length ? accuracy.getBounds().extend(layer.getBounds()) :
        layer.getBounds();
      if (b.isValid()) { map.fitBounds(b, {maxZoom: 14, padding: [10, 10]}); }
      document.body.setAttribute("data-layers-loaded", "true");
      return tracks && tracks.then(function (t) {  // the target and its patrols in view
        if (t && t.isValid()) {
          map.fitBounds(b.isValid() ? b.extend(t) : t, {maxZoom: 14, padding: [10, 10]});
        }
      });
    });
  }

  function resultPage(map) {
    var layer = L.geoJSON(null, {
      style: function (f) {
        if (f.properties.role === "footprint") {
          return {color: "#111", weight: 3, fillOpacity: 0.1, dashArray: "6 4",
                  className: "fg-footprint"};
        }
        var c = GRADE_COLOURS[f.properties.grade] || "#666";
        return {color: c, weight: 2, fillColor: c, fillOpacity: 0.35, className: "fg-target"};
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties;
        var box = el("div", "fg-popup");
        if (p.role === "footprint") {
          box.appendChild(el("div", "fg-popup-zh", label("footprint") + " " + (p.project_id || "")));
        } else {
          box.appendChild(el("div", "fg-popup-zh", p.name_zh));
          box.appendChild(el("div", "fg-popup-en", p.name_en));
          box.appendChild(el("div", null, label("grade:" + p.grade, p.grade)));
        }
        lyr.bindPopup(box);
      }
    }).addTo(map);
    return getJSON(cfg.urls.result).then(function (data) {
      layer.addData(data);
      var b = layer.getBounds();
      if (b.isValid()) { map.fitBounds(b, {maxZoom: 15, padding: [10, 10]}); }
      document.body.setAttribute("data-layers-loaded", "true");
    });
  }

  function checkPage(map) {
    var sites = targetLayer("sites").addTo(map);
    var sections = targetLayer("sections").addTo(map);
    loader(map, cfg.urls.sites, [{layer: sites}], false);
    loader(map, cfg.urls.sections, [{layer: sections}], false);
    if (cfg.lang === "zh" && L.drawLocal) {
      var b = L.drawLocal.draw.toolbar.buttons;
      b.polyline = "绘制线"; b.polygon = "绘制面"; b.rectangle = "绘制矩形";
      L.drawLocal.draw.toolbar.actions.text = "取消";
      L.drawLocal.draw.toolbar.finish.text = "完成";
      L.drawLocal.draw.toolbar.undo.text = "删除最后一点";
    }
    var drawn = [];
    var status = document.getElementById("drawn-status");
    function update() {
      if (status) {
        status.textContent = drawn.length ? label("drawn_count").replace("{n}", drawn.length) : "";
      }
    }
    map.on("draw:created", function (e) { drawn.push(e.layer); update(); });
    map.on("draw:deleted", function (e) {
      e.layers.eachLayer(function (l) { drawn = drawn.filter(function (d) { return d !== l; }); });
      update();
    });
    var form = document.getElementById("check-form");
    if (form) {
      form.addEventListener("submit", function () {
        var input = document.getElementById("drawn");
        input.value = drawn.length ? JSON.stringify({
          type: "FeatureCollection",
          features: drawn.map(function (l) { return l.toGeoJSON(); })
        }) : "";
      });
    }
  }

  window.FossilGIS = {
    start: function (map) {
      cfg = readConfig();
      S = cfg.strings || {};
      // without tile layers Leaflet knows no maxZoom, and markercluster needs one
      if (map.options.maxZoom === undefined) { map.setMaxZoom(19); }
      var pages = {main: mainPage, target: targetPage, result: resultPage, check: checkPage};
      var page = pages[cfg.page];
      var done = page ? page(map) : null;
      if (done && done.catch) {
        done.catch(function (err) {
          document.body.setAttribute("data-layers-error", String(err && err.message));
          throw err;
        });
      }
      return done;
    },
    popupFor: popupFor,
    el: el,  // shared with fossilgis-context.js
    getJSON: getJSON
  };
}());
