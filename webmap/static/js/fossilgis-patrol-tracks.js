/* fossilgis patrol tracks: a site's or section's last patrols on its page, and the staff
   map's "Patrol tracks" overlay (off until switched on, loaded by the view's box), both
   from /api/patrols/tracks.geojson. Tracks are coloured by how long ago the patrol ended,
   waypoints by what was observed. Every value is put into the page as text (textContent),
   never as HTML. The map shell hands over the URL and labels (FossilGISTracks.configure);
   fossilgis-map.js calls target() or overlay() where the page's config asks. */
(function () {
  "use strict";

  /* newest darkest: ended within 7, 30, 90 days, older */
  var AGE_COLOURS = ["#08306b", "#2171b5", "#6baed6", "#9e9ac8"];
  var WAYPOINT_COLOURS = {alert: "#d7191c", intact: "#1a9850", observation: "#fdae61",
                          none: "#ffffff"};
  var WAYPOINT_GROUPS = ["alert", "intact", "observation", "none"];
  /* the overlay asks for waypoints from this zoom on (fewer markers than a view can hold) */
  var WAYPOINT_ZOOM = 13;
  var PERIODS = [30, 90, 365, 0];  // days; 0: every patrol
  var PANE = "fgTracks";
  var opts = {url: null, patrol_page: "/patrols/", strings: {}};

  function S(key) {
    return Object.prototype.hasOwnProperty.call(opts.strings, key) ? opts.strings[key] : key;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function present(v) { return v !== undefined && v !== null && v !== ""; }

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin"}).then(function (r) {
      if (r.ok) { return r.json(); }
      // the API's errors are JSON {code, description}, in Chinese and English
      return r.json().catch(function () { return {}; }).then(function (body) {
        throw new Error(body.description || ("HTTP " + r.status));
      });
    });
  }

  function waypointGroup(p) {
    if (p.alert) { return "alert"; }
    if (!present(p.category)) { return "none"; }
    return p.category === "intact" ? "intact" : "observation";
  }

  /* ---- popups -------------------------------------------------------------------- */
  function table(rows) {
    var t = el("table", "fg-popup-table");
    rows.forEach(function (r) {
      if (!present(r[1])) { return; }
      var tr = el("tr");
      tr.appendChild(el("th", null, S(r[0])));
      tr.appendChild(el("td", null, r[1]));
      t.appendChild(tr);
    });
    return t;
  }

  function detailsLink(uuid) {
    var link = el("a", "fg-popup-link", S("details"));
    link.href = opts.patrol_page + encodeURIComponent(uuid);
    return link;
  }

  function trackPopup(p) {
    var box = el("div", "fg-popup fg-track-popup");
    box.appendChild(el("div", "fg-popup-zh", S("patrol") + " " + p.date));
    box.appendChild(el("div", null, p.started));
    box.appendChild(table([
      ["team", p.team],
      ["target", present(p.target_id) ? p.target_id : null],
      ["waypoints", p.waypoints], ["alerts", p.alerts]]));
    box.appendChild(detailsLink(p.uuid));
    return box;
  }

  function waypointPopup(p) {
    var box = el("div", "fg-popup fg-waypoint-popup");
    box.appendChild(el("div", "fg-popup-zh", present(p.label) ? p.label : S("wp_none")));
    if (present(p.name)) { box.appendChild(el("div", null, p.name)); }
    box.appendChild(table([
      ["observed", p.observed],
      ["severity", p.severity_label],
      ["gps_accuracy", present(p.accuracy_m) ? "± " + Math.round(p.accuracy_m) + " m" : null]]));
    if (present(p.description)) { box.appendChild(el("div", "fg-popup-en", p.description)); }
    box.appendChild(detailsLink(p.patrol_uuid));
    return box;
  }

  /* ---- the layer and its legend ---------------------------------------------------- */
  /* L.geoJSON applies style() to every feature, its points too */
  function style(f) {
    var p = f.properties;
    if (p.kind === "waypoint") {
      var group = waypointGroup(p);
      return {radius: 6, color: "#222", weight: 1, opacity: 1, fillColor: WAYPOINT_COLOURS[group],
              fillOpacity: 0.95, className: "fg-waypoint fg-waypoint-" + group};
    }
    return {color: AGE_COLOURS[p.age] || AGE_COLOURS[3], weight: p.age < 2 ? 4 : 3,
            opacity: 0.9, className: "fg-track fg-track-age-" + p.age};
  }

  /* in their own pane over the sites and sections (overlay pane: 400), under markers */
  function tracksLayer(map) {
    if (!map.getPane(PANE)) { map.createPane(PANE).style.zIndex = 450; }
    return L.geoJSON(null, {
      pane: PANE,
      style: style,
      pointToLayer: function (f, ll) {
        return L.circleMarker(ll, L.extend({pane: PANE}, style(f)));
      },
      onEachFeature: function (f, lyr) {
        var p = f.properties;
        if (p.kind === "waypoint") {
          lyr.bindPopup(function () { return waypointPopup(p); });
          lyr.bindTooltip(el("span", null, present(p.label) ? p.label : S("wp_none")));
        } else {
          lyr.bindPopup(function () { return trackPopup(p); });
          lyr.bindTooltip(el("span", null, S("patrol") + " " + p.date), {sticky: true});
        }
      }
    });
  }

  /* the answer's features, oldest track first (newer ones drawn over them), waypoints on
     top; returns [tracks, waypoints] counts */
  function draw(layer, data) {
    var tracks = data.features.filter(function (f) { return f.properties.kind === "track"; });
    var points = data.features.filter(function (f) { return f.properties.kind === "waypoint"; });
    layer.addData({type: "FeatureCollection", features: tracks.reverse().concat(points)});
    return [tracks.length, points.length];
  }

  function swatch(colour, round) {
    var sw = el("span", round ? "fg-track-dot" : "fg-line");
    sw.style.background = colour;
    if (round) {
      sw.style.display = "inline-block";
      sw.style.width = sw.style.height = "10px";
      sw.style.borderRadius = "50%";
      sw.style.border = "1px solid #222";
    }
    return sw;
  }

  function legendBox() {
    var box = el("div", "fg-legend fg-tracks-legend leaflet-bar");
    box.appendChild(el("strong", null, S("layer")));
    AGE_COLOURS.forEach(function (colour, age) {
      var row = el("div", "fg-legend-row");
      row.appendChild(swatch(colour, false));
      row.appendChild(el("span", null, S("age_" + age)));
      box.appendChild(row);
    });
    WAYPOINT_GROUPS.forEach(function (group) {
      var row = el("div", "fg-legend-row");
      row.appendChild(swatch(WAYPOINT_COLOURS[group], true));
      row.appendChild(el("span", null, S("wp_" + group)));
      box.appendChild(row);
    });
    return box;
  }

  function mark(counts) {
    document.body.setAttribute("data-tracks-loaded", String(counts[0]));
    document.body.setAttribute("data-waypoints-loaded", String(counts[1]));
  }

  /* ---- a site's or section's page: its last patrols (staff) -------------------------- */
  function target(map, cfg) {
    var layer = tracksLayer(map).addTo(map);
    return getJSON(cfg.urls.tracks).then(function (data) {
      var counts = draw(layer, data);
      var box = legendBox();
      if (!counts[0] && !counts[1]) { box.appendChild(el("div", "muted", S("target_none"))); }
      // under the small map (the page's #tracks-legend), where it hides no marker
      var holder = document.getElementById("tracks-legend");
      if (holder) {  // one line of keys, wrapped as the page's width allows
        box.className = "fg-legend fg-tracks-legend";
        box.style.display = "flex";
        box.style.flexWrap = "wrap";
        box.style.columnGap = "1.2em";
        box.style.padding = "0";
        holder.appendChild(box);
      } else {
        var legend = L.control({position: "bottomright"});
        legend.onAdd = function () { return box; };
        legend.addTo(map);
      }
      mark(counts);
      return counts[0] || counts[1] ? layer.getBounds() : null;
    }).catch(function (err) {  // said on the page; the target itself is still drawn
      var holder = document.getElementById("tracks-legend");
      if (holder) { holder.appendChild(el("p", "error", String(err && err.message))); }
      document.body.setAttribute("data-tracks-error", String(err && err.message));
      return null;
    });
  }

  /* ---- the staff map's overlay, loaded by the view's box ------------------------------ */
  function overlay(map, control) {
    var layer = tracksLayer(map);
    var days = 90, timer = null, asked = 0;
    var box = legendBox();
    var period = el("label", "fg-legend-row fg-tracks-period", S("period") + " ");
    var select = el("select");
    PERIODS.forEach(function (d) {
      var option = el("option", null, d ? S("last_days").replace("{days}", d) : S("all_time"));
      option.value = String(d);
      option.selected = d === days;
      select.appendChild(option);
    });
    period.appendChild(select);
    box.appendChild(period);
    var hint = el("div", "fg-tracks-hint");
    hint.style.color = "#a50026";
    hint.style.maxWidth = "16em";
    box.appendChild(hint);
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };

    function load() {
      if (!map.hasLayer(layer)) { return; }
      var b = map.getBounds().pad(0.1);  // a margin for small pans
      var bbox = [Math.max(b.getWest(), -180), Math.max(b.getSouth(), -90),
                  Math.min(b.getEast(), 180), Math.min(b.getNorth(), 90)].join(",");
      var zoom = map.getZoom();
      var waypoints = zoom >= WAYPOINT_ZOOM ? 1 : 0;
      var url = opts.url + "?bbox=" + bbox + "&zoom=" + zoom + "&waypoints=" + waypoints +
        (days ? "&days=" + days : "");
      var mine = ++asked;
      getJSON(url).then(function (data) {
        if (mine !== asked || !map.hasLayer(layer)) { return; }  // a newer view was asked for
        layer.clearLayers();
        var counts = draw(layer, data);
        hint.textContent = data.truncated ? S("truncated").replace("{n}", data.limit) :
          !counts[0] ? S("none") : !waypoints ? S("waypoints_zoom") : "";
        mark(counts);
      }).catch(function (err) { hint.textContent = String(err && err.message); });
    }

    select.addEventListener("change", function () {
      days = parseInt(select.value, 10) || 0;
      load();
    });
    control.addOverlay(layer, S("layer"));
    map.on("overlayadd", function (e) {
      if (e.layer === layer) { legend.addTo(map); load(); }
    });
    map.on("overlayremove", function (e) {
      if (e.layer !== layer) { return; }
      asked++;  // an answer still on its way is not drawn
      layer.clearLayers();
      legend.remove();
      document.body.removeAttribute("data-tracks-loaded");
      document.body.removeAttribute("data-waypoints-loaded");
    });
    map.on("moveend", function () {
      clearTimeout(timer);
      if (map.hasLayer(layer)) { timer = setTimeout(load, 250); }
    });
    return layer;
  }

  window.FossilGISTracks = {
    configure: function (options) {
      opts = options || opts;
      opts.strings = opts.strings || {};
    },
    target: target,
    overlay: overlay
  };
}());
