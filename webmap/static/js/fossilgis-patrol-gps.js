/* fossilgis patrol form, part 2: the GPS (FossilPatrol.gps).

   - "Use my position" on an observation takes one fix with its accuracy, altitude and time;
     a fix less accurate than the configured limit (GPS_MAX_ACCURACY_M) is used only when the
     patroller says so. Typing the coordinates afterwards drops the fix's accuracy.
   - The track recorder (watchPosition) keeps a point every N seconds or M metres, skips
     fixes less accurate than the limit, asks for a screen wake lock where the browser has
     one, and hands every new point to the form, which saves it on the device at once.
   - Browsers give the position only to secure pages (HTTPS or localhost): elsewhere the
     buttons say so, and how to fix it, instead of failing silently. */
(function () {
  "use strict";

  var P = window.FossilPatrol;
  var A = P.app.strings;
  var G = P.app.gps;
  var secure = window.isSecureContext === true;
  var available = secure && !!navigator.geolocation;
  var EARTH_M = 6371008.8;

  function metres(a, b) {  /* haversine distance of two [lon, lat, …] points */
    var rad = Math.PI / 180;
    var dLat = (b[1] - a[1]) * rad;
    var dLon = (b[0] - a[0]) * rad;
    var h = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function round(x, digits) { var f = Math.pow(10, digits); return Math.round(x * f) / f; }

  function fixOf(pos) {
    var c = pos.coords;
    return {
      lon: round(c.longitude, 7),
      lat: round(c.latitude, 7),
      accuracy: round(c.accuracy, 1),
      altitude: (c.altitude === null || c.altitude === undefined) ? null : round(c.altitude, 1),
      time: pos.timestamp || Date.now()
    };
  }

  function errorText(err) {
    if (err && err.code === 1) { return A.gps_denied; }
    if (err && err.code === 3) { return A.gps_timeout; }
    return A.gps_unavailable;
  }

  function describe(fix) {
    var parts = [P.fill(A.fix, {acc: Math.round(fix.accuracy)})];
    if (fix.altitude !== null) { parts.push(P.fill(A.altitude, {alt: Math.round(fix.altitude)})); }
    parts.push(P.beijing(fix.time, true));
    return parts.join(" · ");
  }

  /* the message (in the page's language) that this page gets no position, and a link to the
     help at the foot of the page */
  function insecureMessage(box) {
    box.textContent = A.no_https + " ";
    var a = P.el("a", null, A.no_https_link);
    a.href = "#https-help";
    a.addEventListener("click", function () {
      var help = document.getElementById("https-help");
      help.hidden = false;
      help.open = true;
    });
    box.appendChild(a);
  }

  function locate() {
    return new Promise(function (resolve, reject) {
      navigator.geolocation.getCurrentPosition(function (pos) { resolve(fixOf(pos)); }, reject,
        {enableHighAccuracy: true, timeout: 30000, maximumAge: 0});
    });
  }

  /* ---- "Use my position" on one observation row ---------------------------------------- */
  function attach(row) {
    var button = row.querySelector(".use-location");
    var box = row.querySelector(".gps-msg");
    if (!button || !box) { return; }
    var lon = row.querySelector("input[name$=-lon]");
    var lat = row.querySelector("input[name$=-lat]");
    var acc = row.querySelector("input[name$=-accuracy]");
    var alt = row.querySelector("input[name$=-altitude]");
    var time = row.querySelector("input[name$=-time]");

    function show(state, text) {
      box.hidden = false;
      box.setAttribute("data-state", state);
      box.className = "gps-msg " + (state === "error" || state === "insecure" || state === "poor" ? "error" : "note");
      box.textContent = text || "";
    }

    function use(fix) {
      lon.value = fix.lon.toFixed(6);
      lat.value = fix.lat.toFixed(6);
      acc.value = String(fix.accuracy);
      alt.value = fix.altitude === null ? "" : String(fix.altitude);
      time.value = P.cstLocal(fix.time);
      show("fix", describe(fix));
    }

    function take() {
      if (!secure) { show("insecure"); insecureMessage(box); return; }
      if (!available) { show("error", A.no_geolocation); return; }
      button.disabled = true;
      show("locating", A.locating);
      locate().then(function (fix) {
        button.disabled = false;
        if (fix.accuracy <= G.max_accuracy_m) { use(fix); return; }
        show("poor", P.fill(A.fix_poor, {acc: Math.round(fix.accuracy), max: G.max_accuracy_m}) + " ");
        var yes = P.el("button", "use-anyway", A.use_anyway);
        yes.type = "button";
        yes.addEventListener("click", function () { use(fix); });
        var again = P.el("button", "try-again", A.try_again);
        again.type = "button";
        again.addEventListener("click", take);
        box.appendChild(yes);
        box.appendChild(document.createTextNode(" "));
        box.appendChild(again);
      }, function (err) {
        button.disabled = false;
        show("error", errorText(err));
      });
    }

    button.addEventListener("click", take);
    if (!secure) { button.setAttribute("data-insecure", "true"); }
    /* coordinates typed by hand are not the fix: its accuracy no longer applies */
    [lon, lat].forEach(function (input) {
      input.addEventListener("input", function () {
        acc.value = "";
        alt.value = "";
        if (box.getAttribute("data-state") === "fix") { box.hidden = true; }
      });
    });
  }

  /* ---- the track recorder ---------------------------------------------------------------- */
  /* points are [lon, lat, accuracy_m, altitude_m|null, time_ms]; parts: one per start/stop */
  function Track(parts, onChange) {
    this.parts = parts || [];
    this.skipped = 0;
    this.watchId = null;
    this.lock = null;
    this.lockState = null;  /* "on" | "none" (no API) | "refused" */
    this.onChange = onChange;
    var self = this;
    document.addEventListener("visibilitychange", function () {
      if (self.recording() && document.visibilityState === "visible") { self.wakeLock(); }
    });
  }

  Track.prototype.recording = function () { return this.watchId !== null; };

  Track.prototype.points = function () {
    return this.parts.reduce(function (n, p) { return n + p.length; }, 0);
  };

  Track.prototype.stats = function () {
    var km = 0;
    var accs = [];
    this.parts.forEach(function (part) {
      part.forEach(function (pt, i) {
        accs.push(pt[2]);
        if (i) { km += metres(part[i - 1], pt) / 1000; }
      });
    });
    accs.sort(function (a, b) { return a - b; });
    var mid = accs.length >> 1;
    var median = !accs.length ? null : (accs.length % 2 ? accs[mid] : (accs[mid - 1] + accs[mid]) / 2);
    return {points: accs.length, km: km, median: median, skipped: this.skipped};
  };

  Track.prototype.wakeLock = function () {
    var self = this;
    if (!("wakeLock" in navigator)) { self.lockState = "none"; return Promise.resolve(); }
    return navigator.wakeLock.request("screen").then(function (lock) {
      self.lock = lock;
      self.lockState = "on";
      self.onChange("lock");
    }, function () {
      self.lockState = "refused";
      self.onChange("lock");
    });
  };

  Track.prototype.add = function (fix) {
    this.error = null;  /* a fix arrived: an earlier timeout or outage is over */
    if (fix.accuracy > G.max_accuracy_m) { this.skipped += 1; this.onChange("skip"); return; }
    var part = this.parts[this.parts.length - 1];
    var last = part[part.length - 1];
    var point = [fix.lon, fix.lat, fix.accuracy, fix.altitude, fix.time];
    if (last && fix.time <= last[4]) { return; }  /* the same fix again */
    if (last && fix.time - last[4] < G.interval_s * 1000 && metres(last, point) < G.distance_m) {
      return;
    }
    part.push(point);
    this.onChange("point");
  };

  Track.prototype.start = function () {
    if (this.recording()) { return; }
    var self = this;
    this.parts.push([]);
    this.watchId = navigator.geolocation.watchPosition(function (pos) {
      self.add(fixOf(pos));
    }, function (err) {
      self.error = errorText(err);
      self.onChange("error");
    }, {enableHighAccuracy: true, maximumAge: 0, timeout: 60000});
    this.error = null;
    this.onChange("start");
    this.wakeLock();
  };

  Track.prototype.stop = function () {
    if (!this.recording()) { return; }
    navigator.geolocation.clearWatch(this.watchId);
    this.watchId = null;
    if (this.lock) { this.lock.release().catch(function () { return null; }); this.lock = null; }
    this.parts = this.parts.filter(function (p) { return p.length > 0; });
    this.onChange("stop");
  };

  /* the GeoJSON geometry of the parts with 2 points or more, or null */
  Track.prototype.geometry = function () {
    var lines = this.parts.filter(function (p) { return p.length >= 2; }).map(function (p) {
      return p.map(function (pt) { return [pt[0], pt[1]]; });
    });
    if (!lines.length) { return null; }
    return lines.length === 1 ? {type: "LineString", coordinates: lines[0]}
      : {type: "MultiLineString", coordinates: lines};
  };

  Track.prototype.times = function () {
    var t = [];
    this.parts.forEach(function (p) { p.forEach(function (pt) { t.push(pt[4]); }); });
    return t;
  };

  P.gps = {
    secure: secure,
    available: available,
    attach: attach,
    insecureMessage: insecureMessage,
    Track: Track,
    metres: metres
  };
}());
