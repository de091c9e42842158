/* fossilgis map search and small screens, on the map page (webmap/templates/map.html).

   Search: the box in the top bar asks /api/search, which answers typed coordinates (every
   reading), sites and sections, and named places (webmap/search.py). A coordinate moves the
   map there and drops a marker with the reading's label; several readings are listed under
   "Which one did you mean?" and nothing moves until one is picked; a place fits its box and
   is marked; a site or section fits its box and opens its popup.

   It is the map page's only search handler: it runs before the map is made, learns the
   map through Leaflet's L.Map.addInitHook, and listens for the box's input events on the
   document in the capture phase. The result list is #search-results.

   Small screens (below 600 px): every layer control is made collapsed (Leaflet's own
   toggle opens it) and the legends fold to their title, which opens them (the CSS of
   "small screens" in fossilgis.css, active when <body> has the class fg-fold-legends).

   Every value goes into the page as text (textContent, attributes), never as HTML. */
(function () {
  "use strict";

  var SMALL = "(max-width: 599.98px)";
  var map = null;
  var S = {};

  function small() { return !!(window.matchMedia && window.matchMedia(SMALL).matches); }

  if (window.L && L.Map && L.Control && L.Control.Layers) {
    L.Map.addInitHook(function () { if (!map) { map = this; } });
    // read by Leaflet when the control is added to the map, after this hook
    L.Control.Layers.addInitHook(function () { if (small()) { this.options.collapsed = true; } });
  }

  function label(key, fallback) {
    return Object.prototype.hasOwnProperty.call(S, key) ? S[key] : (fallback || key);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function readConfig() {
    var node = document.getElementById("fossilgis-config");
    return node ? JSON.parse(node.textContent) : {};
  }

  /* ---- legends: folded to their title on small screens ------------------------------- */
  function foldLegends() {
    document.body.classList.add("fg-fold-legends");
    function toggle(e) {
      var title = e.target && e.target.closest ? e.target.closest(".fg-legend > strong") : null;
      if (!title || (e.type === "keydown" && e.key !== "Enter" && e.key !== " ")) { return; }
      var box = title.parentNode;
      box.classList.toggle("fg-open");
      title.setAttribute("aria-expanded", String(box.classList.contains("fg-open")));
      if (e.type === "keydown") { e.preventDefault(); }
    }
    // capture: Leaflet may stop a control's clicks from bubbling to the map
    document.addEventListener("click", toggle, true);
    document.addEventListener("keydown", toggle, true);
    function mark() {
      document.querySelectorAll(".fg-legend > strong:not([tabindex])").forEach(function (t) {
        t.tabIndex = 0;
        t.setAttribute("role", "button");
        t.setAttribute("aria-expanded", String(t.parentNode.classList.contains("fg-open")));
      });
    }
    mark();
    // the fossil potential's legend is made (and remade) when its layer is switched on
    var controls = map && map.getContainer().querySelector(".leaflet-control-container");
    if (controls && window.MutationObserver) {
      new MutationObserver(mark).observe(controls, {childList: true, subtree: true});
    }
  }

  /* ---- search ------------------------------------------------------------------------ */
  function searchBox(cfg) {
    var input = document.getElementById("search-input");
    var list = document.getElementById("search-results");
    if (!map || !input || !list || !cfg.urls || !cfg.urls.search) { return; }
    input.setAttribute("aria-controls", "search-results");
    var timer = null, asked = 0, marker = null, last = null;

    function hide() { list.hidden = true; }

    function drop(lat, lon, title, lines) {
      if (marker) { marker.remove(); }
      var box = el("div", "fg-popup fg-search-popup");
      lines.forEach(function (line, i) {
        if (line) { box.appendChild(el("div", i ? "fg-popup-en" : "fg-popup-zh", line)); }
      });
      marker = L.marker([lat, lon], {
        icon: new L.Icon.Default({className: "fg-search-marker"}),
        title: title, keyboard: false, zIndexOffset: 2000
      }).bindPopup(box).addTo(map);
      marker.openPopup();
      document.body.setAttribute("data-search-marker", lat + "," + lon);
    }

    function fit(b, maxZoom) {
      if (b[0] === b[2] && b[1] === b[3]) {
        map.setView([b[1], b[0]], Math.max(map.getZoom(), maxZoom));
      } else {
        map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {maxZoom: maxZoom});
      }
    }

    function targetLayer(kind, id) {
      var cls = kind === "sites" ? "fg-site" : "fg-section", found = null;
      map.eachLayer(function (l) {
        if (!found && l.feature && l.feature.properties && l.feature.properties.id === id &&
            l.options && l.options.className === cls && l.getPopup && l.getPopup()) {
          found = l;
        }
      });
      return found;
    }

    function openPopup(kind, id, tries) {
      var layer = targetLayer(kind, id);
      if (layer) { layer.openPopup(); return; }
      // layers loaded by the view come after the move
      if (tries > 0) { setTimeout(function () { openPopup(kind, id, tries - 1); }, 400); }
    }

    function go(r) {
      hide();
      if (r.kind === "coordinate") {
        map.setView([r.lat, r.lon], Math.max(map.getZoom(), 13));
        drop(r.lat, r.lon, r.label, [r.label]);
      } else if (r.kind === "place") {
        fit(r.bbox, 12);
        var other = r.label === r.name_zh ? r.name_en : r.name_zh;
        drop(r.lat, r.lon, r.label, [r.label, other, label("place:" + r.layer, r.layer)]);
      } else {
        fit(r.bbox, 13);
        setTimeout(function () { openPopup(r.kind, r.id, 3); }, 300);
      }
    }

    function itemFor(r) {
      var item = el("li", "fg-search-item fg-search-" + r.kind);
      item.tabIndex = 0;
      item.setAttribute("role", "option");
      if (r.kind === "coordinate") {
        item.appendChild(el("span", "fg-search-kind", label("search_coordinate")));
        item.appendChild(el("span", "fg-search-label", " " + r.label));
        if (!r.inside_guizhou) {
          item.appendChild(el("span", "fg-search-note", " · " + label("search_outside")));
        }
      } else if (r.kind === "place") {
        item.appendChild(el("span", "fg-search-kind", label("place:" + r.layer, r.layer)));
        item.appendChild(el("span", "fg-search-label", " " + [r.name_zh, r.name_en]
          .filter(Boolean).join(" ")));
      } else {
        item.appendChild(el("span", "fg-search-id", r.id));
        item.appendChild(el("span", "fg-search-label", " " + r.name_zh + " " + r.name_en));
      }
      item.addEventListener("click", function () { go(r); });
      item.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { go(r); }
        if (e.key === "Escape") { hide(); input.focus(); }
        if (e.key === "ArrowDown" && item.nextElementSibling) { item.nextElementSibling.focus(); }
        if (e.key === "ArrowUp") { (item.previousElementSibling || input).focus(); }
      });
      return item;
    }

    function show(d) {
      list.textContent = "";
      var results = d.results || [];
      if (!results.length) {
        list.appendChild(el("li", "muted fg-search-message", d.message || label("search_none")));
      }
      results.forEach(function (r, i) {
        if (d.ambiguous && i === 0) {
          list.appendChild(el("li", "fg-search-ask", label("search_which")));
        }
        list.appendChild(itemFor(r));
      });
      list.hidden = false;
      document.body.setAttribute("data-search-results", String(results.length));
    }

    function answer(d) {
      last = d;
      var r = (d.results || [])[0];
      // one reading in Guizhou: go there at once (several: ask; outside: wait for a pick)
      if (r && r.kind === "coordinate" && !d.ambiguous && r.inside_guizhou) {
        show(d);
        go(r);
        return;
      }
      show(d);
    }

    function ask(q) {
      var mine = ++asked;
      fetch(cfg.urls.search + "?q=" + encodeURIComponent(q), {credentials: "same-origin"})
        .then(function (resp) {
          if (!resp.ok) { throw new Error("HTTP " + resp.status); }
          return resp.json();
        })
        .then(function (d) { if (mine === asked) { answer(d); } })
        .catch(function () {
          if (mine !== asked) { return; }
          list.textContent = "";
          list.appendChild(el("li", "muted fg-search-message", label("search_error")));
          list.hidden = false;
        });
    }

    document.addEventListener("input", function (e) {
      if (e.target !== input) { return; }
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { asked++; last = null; hide(); return; }
      timer = setTimeout(function () { ask(q); }, 250);
    }, true);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { hide(); return; }
      if (e.key === "ArrowDown") {
        var first = list.querySelector(".fg-search-item");
        if (first && !list.hidden) { e.preventDefault(); first.focus(); }
        return;
      }
      if (e.key !== "Enter") { return; }
      e.preventDefault();
      var r = last && last.results && last.results[0];
      if (r && !last.ambiguous) { go(r); } else if (last) { show(last); }
    });
    input.addEventListener("focus", function () { if (last && input.value.trim()) { show(last); } });
    document.addEventListener("click", function (e) {
      if (!list.hidden && e.target !== input && !list.contains(e.target)) { hide(); }
    });
    document.body.setAttribute("data-search-ready", "true");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var cfg = readConfig();
    S = cfg.strings || {};
    foldLegends();
    if (window.L && map) { searchBox(cfg); }
  });
}());
