/* fossilgis patrol form, part 3: the form itself, the app shell and the track's draft.

   - The app shell: the manifest and icons are linked, the service worker (/patrols/sw.js)
     is registered, so that after one visit the form opens without a network. Browsers allow
     service workers and the GPS only on secure pages (HTTPS or localhost): elsewhere the page
     says so plainly, with the steps to fix it.
   - Send builds the patrol in the exchange format (fossilgis/patrols/geojson.py): the form's
     fields, each observation as a waypoint with the GPS fix's accuracy and altitude, the
     recorded track as the patrol's geometry with track_source "device" and its median
     accuracy, the photo files under unique names. Only a GPX upload without start and end
     times goes as the form's plain fields, for the server to take the times from the file.
     The patrol is saved in the outbox (part 1) before anything is sent.
   - A track being recorded is saved as a draft record at every point, so that a closed page,
     a crash or a flat battery keeps it: the next visit brings it back into the form. */
(function () {
  "use strict";

  var P = window.FossilPatrol;
  var A = P.app.strings;
  var outbox = P.outbox;
  var form = document.getElementById("patrol-form");
  var uuidInput = document.getElementById("patrol-uuid");
  var problemsBox = document.getElementById("form-problems");
  var SIMPLE_FIELDS = ["target", "started_at", "ended_at", "team", "purpose", "notes"];

  /* ---- the app shell ---------------------------------------------------------------------- */
  function headLink(rel, href, extra) {
    var link = document.createElement("link");
    link.rel = rel;
    link.href = href;
    Object.keys(extra || {}).forEach(function (k) { link.setAttribute(k, extra[k]); });
    document.head.appendChild(link);
  }

  headLink("manifest", P.app.urls.manifest);
  headLink("apple-touch-icon", P.app.urls.icon);
  var theme = document.createElement("meta");
  theme.name = "theme-color";
  theme.content = P.app.theme;
  document.head.appendChild(theme);

  if (!P.gps.secure) {
    var banner = document.getElementById("https-needed");
    P.gps.insecureMessage(banner);
    banner.hidden = false;
    document.getElementById("https-help").hidden = false;
    document.body.setAttribute("data-secure", "false");
  } else {
    document.body.setAttribute("data-secure", "true");
  }

  if (P.gps.secure && "serviceWorker" in navigator) {
    var sw = navigator.serviceWorker;
    var controlled = function () {
      document.body.setAttribute("data-sw", sw.controller ? "controlled" : "registered");
    };
    sw.addEventListener("controllerchange", controlled);
    sw.register(P.app.urls.sw, {scope: P.app.urls.scope}).then(controlled, function (err) {
      document.body.setAttribute("data-sw", "failed");
      document.body.setAttribute("data-sw-error", String(err));
    });
  }

  /* ---- the recorded track and its draft --------------------------------------------------- */
  var trackBox = document.getElementById("track");
  var startButton = document.getElementById("track-start");
  var stopButton = document.getElementById("track-stop");
  var trackStatus = document.getElementById("track-status");
  var lockNote = document.getElementById("track-wakelock");
  var sketch = document.getElementById("track-sketch");
  var track = new P.gps.Track([], onTrack);
  var draftSaved = Promise.resolve();

  function simpleFields() {
    var out = {};
    SIMPLE_FIELDS.forEach(function (name) { out[name] = form.elements[name].value; });
    return out;
  }

  function saveDraft() {
    if (!track.parts.length) { return draftSaved; }
    var record = {
      uuid: uuidInput.value, state: "draft", savedAt: new Date().toISOString(),
      user: P.app.user, fields: simpleFields(), files: [], track: {parts: track.parts},
      recording: track.recording()
    };
    draftSaved = draftSaved.then(function () { return outbox.put(record); });
    return draftSaved;
  }

  function drawSketch() {
    var pts = [];
    track.parts.forEach(function (p) { p.forEach(function (pt) { pts.push(pt); }); });
    sketch.hidden = pts.length < 2;
    if (pts.length < 2) { return; }
    var xs = pts.map(function (p) { return p[0]; });
    var ys = pts.map(function (p) { return p[1]; });
    var x0 = Math.min.apply(null, xs), y1 = Math.max.apply(null, ys);
    var k = Math.cos(y1 * Math.PI / 180);
    var span = Math.max((Math.max.apply(null, xs) - x0) * k, y1 - Math.min.apply(null, ys), 1e-6);
    var scale = 56 / span;
    sketch.querySelector("polyline").setAttribute("points", pts.map(function (p) {
      return (2 + (p[0] - x0) * k * scale).toFixed(1) + "," + (2 + (y1 - p[1]) * scale).toFixed(1);
    }).join(" "));
  }

  function onTrack(what) {
    var st = track.stats();
    var text = (track.recording() ? A.track_recording : A.track_stopped) + ": " +
      P.fill(A.track_points, {n: st.points, km: st.km.toFixed(2),
                              acc: st.median === null ? "–" : Math.round(st.median)});
    if (st.skipped) { text += "; " + P.fill(A.track_skipped, {n: st.skipped}); }
    if (track.error) { text += " — " + track.error; }
    trackStatus.textContent = text;
    trackStatus.setAttribute("data-state", track.recording() ? "recording" : "stopped");
    trackStatus.setAttribute("data-points", String(st.points));
    startButton.disabled = track.recording();
    stopButton.disabled = !track.recording();
    if (track.lockState) {
      lockNote.hidden = false;
      lockNote.textContent = track.lockState === "on" ? A.track_wakelock
        : A.track_no_wakelock + " " + A.track_hidden;
      lockNote.setAttribute("data-wakelock", track.lockState);
    }
    clearButton.hidden = !st.points || track.recording();
    clearButton.removeAttribute("data-armed");
    clearButton.textContent = clearText;
    drawSketch();
    if (what === "point" || what === "stop" || what === "start") { saveDraft(); }
  }

  trackBox.hidden = false;
  startButton.addEventListener("click", function () {
    if (!P.gps.available) {
      trackStatus.setAttribute("data-state", "insecure");
      if (!P.gps.secure) { P.gps.insecureMessage(trackStatus); } else { trackStatus.textContent = A.no_geolocation; }
      return;
    }
    track.start();
  });
  stopButton.addEventListener("click", function () { track.stop(); });
  var clearButton = document.getElementById("track-clear");
  var clearText = clearButton.textContent;
  clearButton.addEventListener("click", function () {
    if (clearButton.getAttribute("data-armed") !== "true") {  /* a second press clears */
      clearButton.setAttribute("data-armed", "true");
      clearButton.textContent = A.confirm_discard;
      return;
    }
    track.stop();
    draftSaved = draftSaved.then(function () { return outbox.remove(uuidInput.value); });
    track = new P.gps.Track([], onTrack);
    onTrack("clear");
  });
  var typing = null;
  form.addEventListener("input", function () {
    if (!track.parts.length) { return; }
    clearTimeout(typing);
    typing = setTimeout(saveDraft, 500);
  });

  /* ---- observations ------------------------------------------------------------------------ */
  var nextObs = document.querySelectorAll("#observations .obs").length;

  function addObservation() {
    var html = document.getElementById("obs-template").innerHTML.replace(/__N__/g, String(nextObs));
    nextObs += 1;
    var holder = document.createElement("div");
    holder.innerHTML = html;  /* the template is the server's own markup, no user data */
    var row = holder.firstElementChild;
    row.querySelector("input[type=datetime-local]").value = P.cstLocal(Date.now());
    row.querySelector(".remove-obs").addEventListener("click", function () { row.remove(); });
    P.gps.attach(row);
    document.getElementById("add-observation").before(row);
  }

  document.getElementById("add-observation").addEventListener("click", addObservation);

  /* ---- building the patrol ---------------------------------------------------------------- */
  /* a photo's name as the server keeps it (webmap.screen.safe_name), unique in this patrol */
  function photoName(file, taken) {
    var name = String(file.name || "").normalize("NFC").split(/[\\/]/).pop();
    name = name.replace(/[^\p{L}\p{N}\-_.()（） ]/gu, "").replace(/^[ .]+|[ .]+$/g, "");
    if (!name) { name = file.type === "image/png" ? "photo.png" : "photo.jpg"; }
    if (name.length > 100) { name = name.slice(name.length - 100); }
    var unique = name;
    for (var n = 2; taken[unique]; n++) { unique = n + "-" + name; }
    taken[unique] = true;
    return unique;
  }

  function isoOf(value) { return value ? value + ":00+08:00" : null; }

  function timeOf(value) {
    return value ? Date.parse(value + ":00+08:00") : NaN;
  }

  /* {patrol: GeoJSON text | null, fields, files, problems} from the form */
  function build() {
    var data = new FormData(form);
    var files = [];
    var taken = {};
    var problems = [];
    var uid = String(data.get("uuid"));
    var props = {feature_type: "patrol", uuid: uid, photos: []};
    var features = [];
    var times = track.times();

    form.querySelectorAll("#observations .obs").forEach(function (row, i) {
      function v(suffix) {
        var input = row.querySelector("[name$=-" + suffix + "]");
        return input ? String(input.value || "").trim() : "";
      }
      var photoInput = row.querySelector("input[type=file]");
      var photos = Array.prototype.filter.call(photoInput.files, function (f) { return f.size; });
      if (!(v("description") || v("lon") || v("lat") || photos.length)) { return; }
      var n = i + 1;
      if (!v("lon") || !v("lat") || isNaN(Number(v("lon"))) || isNaN(Number(v("lat")))) {
        problems.push(P.fill(A.need_position, {n: n}));
        return;
      }
      if (!v("time")) { problems.push(P.fill(A.need_time, {n: n})); return; }
      times.push(timeOf(v("time")));
      var names = photos.map(function (f) {
        var name = photoName(f, taken);
        files.push([photoInput.name, f, name]);
        return name;
      });
      var wp = {feature_type: "waypoint", uuid: P.uuid4(), patrol_uuid: uid,
                observed_at: isoOf(v("time")), category: v("category"),
                severity: v("severity"), description: v("description"), photos: names};
      if (v("accuracy")) { wp.accuracy_m = Number(v("accuracy")); }
      if (v("altitude")) { wp.altitude_m = Number(v("altitude")); }
      features.push({type: "Feature", id: wp.uuid, properties: wp,
                     geometry: {type: "Point", coordinates: [Number(v("lon")), Number(v("lat"))]}});
    });
    var loose = document.getElementById("patrol-photos");
    Array.prototype.forEach.call(loose.files, function (f) {
      if (!f.size) { return; }
      var name = photoName(f, taken);
      files.push(["photos", f, name]);
      props.photos.push(name);
    });
    var gpx = document.getElementById("patrol-gpx").files[0];
    if (gpx && gpx.size) { files.push(["gpx", gpx, gpx.name]); }

    var start = data.get("started_at"), end = data.get("ended_at");
    times = times.filter(function (t) { return !isNaN(t); });
    if (times.length) {
      if (!start) { start = P.cstLocal(Math.min.apply(null, times)); }
      if (!end) { end = P.cstLocal(Math.max.apply(null, times) + 59999); }
    }
    var fields = [];
    data.forEach(function (value, key) {
      if (key !== "csrf_token" && !(value instanceof File)) { fields.push([key, value]); }
    });
    if (!start || !end) {
      if (gpx && gpx.size && !track.geometry()) {
        /* today's form path: the server takes the missing times from the GPX file */
        var plain = files.map(function (f) { return f[0] === "gpx" ? f : [f[0], f[1], f[1].name]; });
        return {patrol: null, fields: fields, files: plain, problems: problems};
      }
      problems.push(A.need_times);
    } else if (timeOf(end) < timeOf(start)) {
      problems.push(A.end_before_start);
    }
    var target = String(data.get("target") || "");
    var m = /^(site|section):(.+)$/.exec(target);
    if (m) { props[m[1] + "_id"] = m[2]; } else if (target) { props.target_id = target; }
    props.started_at = isoOf(start);
    props.ended_at = isoOf(end);
    props.team = String(data.get("team") || "").split(/[,，、;；]/).map(function (t) {
      return t.trim();
    }).filter(Boolean);
    props.purpose = String(data.get("purpose") || "").trim();
    props.notes = String(data.get("notes") || "").trim();
    var geometry = track.geometry();
    if (geometry) {
      props.track_source = "device";
      var median = track.stats().median;
      if (median !== null) { props.track_accuracy_m = Math.round(median * 10) / 10; }
    }
    features.unshift({type: "Feature", id: uid, geometry: geometry, properties: props});
    return {patrol: JSON.stringify({type: "FeatureCollection", features: features}),
            fields: fields, files: files, problems: problems};
  }

  function showProblems(problems) {
    problemsBox.textContent = "";
    problemsBox.hidden = !problems.length;
    if (!problems.length) { return; }
    problemsBox.appendChild(P.el("span", null, A.not_saved));
    var ul = P.el("ul", "problems");
    problems.forEach(function (p) { ul.appendChild(P.el("li", null, p)); });
    problemsBox.appendChild(ul);
    problemsBox.scrollIntoView({block: "nearest"});
  }

  function resetForm() {
    form.reset();
    document.querySelectorAll("#observations .obs").forEach(function (n) { n.remove(); });
    uuidInput.value = P.uuid4();
    track = new P.gps.Track([], onTrack);
    onTrack("reset");
    trackStatus.textContent = "";
    trackStatus.setAttribute("data-state", "idle");
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    track.stop();
    var built = build();
    showProblems(built.problems);
    if (built.problems.length) { return; }
    var tgt = form.querySelector("#patrol-target");
    var entry = {uuid: uuidInput.value, state: "waiting", savedAt: new Date().toISOString(),
                 user: P.app.user, patrol: built.patrol, fields: built.fields,
                 files: built.files, error: null, attempts: 0};
    entry.label = (form.elements.started_at.value || P.cstLocal(Date.now())).replace("T", " ") +
      " " + (tgt.value ? tgt.options[tgt.selectedIndex].text : "");
    draftSaved.then(function () { return outbox.put(entry); }).then(function () {
      outbox.say("saved", P.cfg.strings.outbox_saved);
      resetForm();
      return outbox.render();
    }).then(outbox.flush);
  });

  /* ---- start: a fresh UUID (a cached page carries an old one), or the recovered draft ------ */
  uuidInput.value = P.uuid4();
  outbox.latestDraft().then(function (draft) {
    if (draft) {
      uuidInput.value = draft.uuid;
      SIMPLE_FIELDS.forEach(function (name) {
        if (draft.fields && draft.fields[name] !== undefined) { form.elements[name].value = draft.fields[name]; }
      });
      track = new P.gps.Track((draft.track && draft.track.parts) || [], onTrack);
      onTrack("recovered");
      trackStatus.textContent = A.track_recovered + " " + trackStatus.textContent;
      trackStatus.setAttribute("data-state", "recovered");
    }
    return outbox.start();
  });
}());
