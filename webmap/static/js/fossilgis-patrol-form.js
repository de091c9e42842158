/* fossilgis patrol form: an outbox in IndexedDB so that no patrol is lost on a poor network.

   Submitting saves the whole form (fields and photo files) on the device first, then sends
   it to POST /api/patrols. A patrol leaves the outbox only when the server answers 201
   (stored) or 200 (stored before: the same UUID with the same content). Without a network,
   or on a server error, it stays and is sent again when the browser comes back online,
   every 30 s, and on the next visit. A refusal (400, 409, 413, ...) stays too, with the
   server's message, until the user discards it. Every value is shown as text. */
(function () {
  "use strict";

  var DB_NAME = "fossilgis-outbox";
  var STORE = "patrols";
  var RETRY_MS = 30000;
  var cfg = JSON.parse(document.getElementById("fossilgis-config").textContent);
  var S = cfg.strings || {};
  var form = document.getElementById("patrol-form");
  var statusBox = document.getElementById("outbox-status");
  var section = document.getElementById("outbox");
  var list = document.getElementById("outbox-list");
  var sending = false;

  /* a v4 UUID from crypto.getRandomValues (crypto.randomUUID needs HTTPS; intranets are
     often plain http) */
  function uuid4() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function localNow() {
    var d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  /* ---- IndexedDB -------------------------------------------------------------------- */
  var dbPromise = new Promise(function (resolve, reject) {
    var req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "uuid"}); };
    req.onsuccess = function () { resolve(req.result); };
    req.onerror = function () { reject(req.error); };
  });

  function tx(mode, work) {
    return dbPromise.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function putEntry(entry) { return tx("readwrite", function (s) { return s.put(entry); }); }
  function deleteEntry(id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  function allEntries() { return tx("readonly", function (s) { return s.getAll(); }); }

  /* ---- status and the outbox list -------------------------------------------------- */
  function say(state, message, link) {
    statusBox.hidden = false;
    statusBox.setAttribute("data-state", state);
    statusBox.textContent = message;
    if (link) {
      statusBox.appendChild(document.createTextNode(" "));
      var a = el("a", null, link.text);
      a.href = link.href;
      a.id = "outbox-link";
      statusBox.appendChild(a);
    }
  }

  function render() {
    return allEntries().then(function (entries) {
      document.body.setAttribute("data-outbox-count", String(entries.length));
      list.textContent = "";
      section.hidden = entries.length === 0;
      entries.forEach(function (entry) {
        var li = el("li", "outbox-item" + (entry.error ? " refused" : ""));
        li.appendChild(el("span", "mono", entry.uuid.slice(0, 8)));
        li.appendChild(el("span", null, " " + (entry.label || "") + " "));
        if (entry.error) { li.appendChild(el("span", "error-text", S.outbox_refused + " " + entry.error)); }
        var retry = el("button", "link-button", S.outbox_retry);
        retry.type = "button";
        retry.addEventListener("click", function () { entry.error = null; putEntry(entry).then(flush); });
        li.appendChild(retry);
        var discard = el("button", "link-button", S.outbox_discard);
        discard.type = "button";
        discard.addEventListener("click", function () { deleteEntry(entry.uuid).then(render); });
        li.appendChild(discard);
        list.appendChild(li);
      });
      return entries;
    });
  }

  /* ---- sending ----------------------------------------------------------------------- */
  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function send(entry) {
    var body = new FormData();
    entry.fields.forEach(function (kv) { body.append(kv[0], kv[1]); });
    entry.files.forEach(function (kv) { body.append(kv[0], kv[1], kv[1].name); });
    return fetch(cfg.urls.api, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRF-Token": csrfToken(), "Accept": "application/json"}
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        return {status: resp.status, data: data};
      });
    });
  }

  function flush() {
    if (sending) { return Promise.resolve(); }
    sending = true;
    return allEntries().then(function (entries) {
      var pending = entries.filter(function (e) { return !e.error; });
      return pending.reduce(function (chain, entry) {
        return chain.then(function () { return sendOne(entry); });
      }, Promise.resolve());
    }).catch(function () {
      /* sendOne said why (offline, sign-in); the patrol stays in the outbox */
    }).then(function () {
      sending = false;
      return render();
    });
  }

  function sendOne(entry) {
    return send(entry).then(function (answer) {
      var s = answer.status;
      var data = answer.data || {};
      if (s === 200 || s === 201) {
        return deleteEntry(entry.uuid).then(function () {
          var msg = S.outbox_sent;
          if (data.warnings && data.warnings.length) {
            msg += " " + S.outbox_warnings + " " + data.warnings.join("; ");
          }
          say("sent", msg, {text: S.outbox_open, href: cfg.urls.patrol + entry.uuid});
        });
      }
      if (s === 401 || data.code === "csrf") {
        say("sign-in", S.outbox_sign_in, {text: "→", href: cfg.urls.login});
        throw new Error("sign in");  // keep it; stop this round
      }
      if (s >= 500) {
        say("offline", S.outbox_offline);
        throw new Error("server " + s);
      }
      entry.error = (data.description || ("HTTP " + s)) +
        (data.problems ? " (" + data.problems.join("; ") + ")" : "");
      return putEntry(entry).then(function () { say("refused", S.outbox_refused + " " + entry.error); });
    }, function () {
      say("offline", S.outbox_offline);
      throw new Error("offline");
    });
  }

  /* ---- the form ------------------------------------------------------------------------ */
  var nextObs = document.querySelectorAll("#observations .obs").length;

  function addObservation() {
    var html = document.getElementById("obs-template").innerHTML.replace(/__N__/g, String(nextObs));
    nextObs += 1;
    var holder = document.createElement("div");
    holder.innerHTML = html;  /* the template is the server's own markup, no user data */
    var row = holder.firstElementChild;
    row.querySelector("input[type=datetime-local]").value = localNow();
    row.querySelector(".remove-obs").addEventListener("click", function () { row.remove(); });
    row.querySelector(".use-location").addEventListener("click", function () {
      if (!navigator.geolocation) { return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        row.querySelector("input[name$=-lon]").value = pos.coords.longitude.toFixed(6);
        row.querySelector("input[name$=-lat]").value = pos.coords.latitude.toFixed(6);
      });
    });
    document.getElementById("add-observation").before(row);
  }

  function resetForm() {
    form.reset();
    document.querySelectorAll("#observations .obs").forEach(function (n) { n.remove(); });
    document.getElementById("patrol-uuid").value = uuid4();
  }

  document.getElementById("add-observation").addEventListener("click", addObservation);

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData(form);
    var entry = {uuid: String(data.get("uuid")), savedAt: new Date().toISOString(),
                 fields: [], files: [], error: null};
    data.forEach(function (value, key) {
      if (key === "csrf_token") { return; }
      if (value instanceof File) {
        if (value.name && value.size) { entry.files.push([key, value]); }
      } else {
        entry.fields.push([key, value]);
      }
    });
    var target = form.querySelector("#patrol-target");
    entry.label = (data.get("started_at") || entry.savedAt.slice(0, 16)) + " " +
      (target.value ? target.options[target.selectedIndex].text : "");
    putEntry(entry).then(function () {
      say("saved", S.outbox_saved);
      resetForm();
      return render();
    }).then(flush);
  });

  window.addEventListener("online", flush);
  setInterval(function () { if (navigator.onLine) { flush(); } }, RETRY_MS);
  render().then(function (entries) {
    if (entries.length) { flush(); }
    document.body.setAttribute("data-outbox-ready", "true");
  });
}());
