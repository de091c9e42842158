/* Helpers shared by the page scripts of the small maps (cases, alerts, the patrol page):
   the page's JSON config, elements that only ever hold text, a label from a strings table,
   forms that ask before they are sent,
   and the Leaflet maps the page makes (collected through Leaflet's init hook, so this file
   loads after Leaflet and before the map is made). */
(function () {
  "use strict";

  var maps = [];
  if (window.L && L.Map) {
    L.Map.addInitHook(function () { maps.push(this); });
  }

  window.FossilGISCommon = {
    maps: maps,
    readConfig: function () {
      var node = document.getElementById("fossilgis-config");
      return node ? JSON.parse(node.textContent) : {};
    },
    el: function (tag, cls, text) {
      var node = document.createElement(tag);
      if (cls) { node.className = cls; }
      if (text !== undefined && text !== null) { node.textContent = String(text); }
      return node;
    },
    label: function (strings, key, fallback) {
      return Object.prototype.hasOwnProperty.call(strings, key) ? strings[key] : (fallback || key);
    },
    /* forms with data-confirm ask before they are sent */
    confirmForms: function () {
      document.querySelectorAll("form[data-confirm]").forEach(function (form) {
        form.addEventListener("submit", function (event) {
          if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
        });
      });
    }
  };
})();
