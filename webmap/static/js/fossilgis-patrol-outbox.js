/* fossilgis patrol form, part 1: the outbox in IndexedDB, so that no patrol is lost on a
   poor network, and the helpers the other parts share (window.FossilPatrol).

   Pressing Send saves the whole patrol (its exchange-format GeoJSON or the form's fields, and
   the photo files) on the device first, then sends it to POST /api/patrols. A patrol leaves
   the outbox only when the server answers 201 (stored) or 200 (stored before: the same UUID
   with the same content). Without a network or on a server error it stays, and is sent
   again after 5 s, 10 s, 20 s … at most 5 min apart (with jitter, so that a room of phones
   does not return at once), at once when the browser says it is back online, and on the
   next visit. Before sending, the outbox asks the server who is signed in
   (/patrols/app/session.json): the page may come from the offline cache, made in an
   earlier session, so the CSRF token comes from that answer; signed out (401), the patrols
   stay and the page asks to sign in again. A refusal (400, 409, 413, ...) stays too, with
   the server's message, until the user discards it. A track being recorded is kept as a
   "draft" record under the patrol's UUID, saved at each point. Every value is shown as
   text. */
(function () {
  "use strict";

  var DB_NAME = "fossilgis-outbox";
  var STORE = "patrols";
  var MIN_DELAY_MS = 5000;
  var MAX_DELAY_MS = 300000;
  var cfg = JSON.parse(document.getElementById("fossilgis-config").textContent);
  var app = JSON.parse(document.getElementById("patrol-app-config").textContent);
  var S = cfg.strings || {};
  var A = app.strings || {};
  var P = window.FossilPatrol = window.FossilPatrol || {};
  P.cfg = cfg;
  P.app = app;

  /* ---- shared helpers ----------------------------------------------------------------- */
  P.zh = function () { return (document.documentElement.lang || "").toLowerCase().indexOf("zh") === 0; };

  /* "%(name)s" filled from values (the server's gettext texts) */
  P.fill = function (text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (m, k) {
      return values && values[k] !== undefined ? String(values[k]) : m;
    });
  };

  P.el = function (tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  };

  /* a message of the server: text, or {message_zh, message_en, message, description} */
  P.pick = function (m) {
    if (m === null || m === undefined) { return ""; }
    if (typeof m !== "object") { return String(m); }
    var own = P.zh() ? m.message_zh : m.message_en;
    return String(own || m.message || m.description || "");
  };

  /* a v4 UUID from crypto.getRandomValues (crypto.randomUUID needs HTTPS) */
  P.uuid4 = function () {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); });
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  };

  var CST_MS = 8 * 3600 * 1000;
  /* "2026-11-30T10:15" in China Standard Time (a datetime-local value), whatever the
     phone's own time zone */
  P.cstLocal = function (ms) { return new Date(ms + CST_MS).toISOString().slice(0, 16); };
  P.cstIso = function (ms) { return new Date(ms + CST_MS).toISOString().slice(0, 19) + "+08:00"; };
  P.beijing = function (ms, seconds) {
    return new Date(ms + CST_MS).toISOString().slice(0, seconds ? 19 : 16).replace("T", " ") +
      " " + A.beijing;
  };

  /* ---- IndexedDB ---------------------------------------------------------------------- */
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
        var req = work(t.objectStore(STORE));
        t.oncomplete = function () { resolve(req ? req.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function put(entry) { return tx("readwrite", function (s) { return s.put(entry); }); }
  function remove(id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  function all() { return tx("readonly", function (s) { return s.getAll(); }); }

  /* records of the first version of the outbox have no state */
  function stateOf(e) { return e.state || (e.error ? "refused" : "waiting"); }
  function isDraft(e) { return stateOf(e) === "draft"; }

  /* ---- status line and list ----------------------------------------------------------- */
  var statusBox = document.getElementById("outbox-status");
  var section = document.getElementById("outbox");
  var list = document.getElementById("outbox-list");
  var countBadge = document.getElementById("outbox-count");
  var sending = null;     /* the running round (a promise), or null */
  var sendingNow = null;  /* uuid of the patrol on its way */
  var failures = 0;
  var timer = null;
  var nextTry = null;

  function say(state, message, link) {
    statusBox.hidden = false;
    statusBox.setAttribute("data-state", state);
    statusBox.textContent = message;
    if (link) {
      statusBox.appendChild(document.createTextNode(" "));
      var a = P.el("a", null, link.text);
      a.href = link.href;
      a.id = "outbox-link";
      statusBox.appendChild(a);
    }
  }

  function stateText(e) {
    var st = stateOf(e);
    if (e.uuid === sendingNow) { return A.state_sending; }
    if (st === "refused") { return A.state_refused; }
    if (st === "sign-in") { return A.state_sign_in; }
    if (st === "other-user") { return P.fill(A.state_other_user, {user: e.user}); }
    var text = A.state_waiting;
    if (nextTry) { text += " · " + A.next_try + " " + P.beijing(nextTry, true); }
    return text;
  }

  function item(entry) {
    var st = stateOf(entry);
    var li = P.el("li", "outbox-item" + (st === "refused" ? " refused" : ""));
    li.setAttribute("data-state", entry.uuid === sendingNow ? "sending" : st);
    li.setAttribute("data-uuid", entry.uuid);
    li.appendChild(P.el("span", "mono", entry.uuid.slice(0, 8)));
    li.appendChild(P.el("span", "outbox-label", " " + (entry.label || "") + " "));
    var saved = Date.parse(entry.savedAt);
    li.appendChild(P.el("span", "outbox-time muted", A.saved_at + " " +
      (isNaN(saved) ? entry.savedAt : P.beijing(saved))));
    li.appendChild(P.el("span", "outbox-state", stateText(entry)));
    if (entry.error) { li.appendChild(P.el("span", "error-text", S.outbox_refused + " " + entry.error)); }
    var retry = P.el("button", "link-button", S.outbox_retry);
    retry.type = "button";
    retry.addEventListener("click", function () {
      entry.error = null;
      entry.state = "waiting";
      failures = 0;
      put(entry).then(flush);
    });
    li.appendChild(retry);
    var discard = P.el("button", "link-button", S.outbox_discard);
    discard.type = "button";
    discard.addEventListener("click", function () {
      if (discard.getAttribute("data-armed") !== "true") {  /* a second press discards */
        discard.setAttribute("data-armed", "true");
        discard.textContent = A.confirm_discard;
        return;
      }
      remove(entry.uuid).then(render);
    });
    li.appendChild(discard);
    return li;
  }

  function render() {
    return all().then(function (entries) {
      var waiting = entries.filter(function (e) { return !isDraft(e); });
      waiting.sort(function (a, b) { return String(a.savedAt).localeCompare(String(b.savedAt)); });
      document.body.setAttribute("data-outbox-count", String(waiting.length));
      countBadge.textContent = String(waiting.length);
      countBadge.title = P.fill(A.outbox_count, {n: waiting.length});
      list.textContent = "";
      section.hidden = waiting.length === 0;
      waiting.forEach(function (e) { list.appendChild(item(e)); });
      return entries;
    });
  }

  /* ---- sending ------------------------------------------------------------------------ */
  function session() {
    return fetch(app.urls.session, {
      credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}
    }).then(function (resp) {
      if (resp.status === 401 || resp.status === 403) { return {ok: false}; }
      if (!resp.ok) { throw new Error("server " + resp.status); }
      return resp.json().then(function (data) { return {ok: true, user: data.user, csrf: data.csrf}; });
    });
  }

  function post(entry, csrf) {
    var body = new FormData();
    if (entry.patrol) {
      body.append("patrol", entry.patrol);
    } else {
      entry.fields.forEach(function (kv) { body.append(kv[0], kv[1]); });
    }
    entry.files.forEach(function (f) { body.append(f[0], f[1], f[2] || f[1].name); });
    return fetch(cfg.urls.api, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf, "Accept": "application/json"}
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        return {status: resp.status, data: data};
      });
    });
  }

  function refusal(status, data) {
    var text = P.pick(data) || ("HTTP " + status);
    var problems = (data.problems || []).map(P.pick).filter(Boolean);
    return problems.length ? text + " (" + problems.join("; ") + ")" : text;
  }

  /* one patrol: "sent" | "refused" | "sign-in" | "retry" */
  function sendOne(entry, csrf) {
    sendingNow = entry.uuid;
    render();
    entry.attempts = (entry.attempts || 0) + 1;
    entry.lastTry = new Date().toISOString();
    return post(entry, csrf).then(function (answer) {
      var s = answer.status;
      var data = answer.data || {};
      if (s === 200 || s === 201) {
        return remove(entry.uuid).then(function () {
          var msg = S.outbox_sent;
          var notes = (data.warnings || []).map(P.pick).filter(Boolean);
          if (notes.length) { msg += " " + S.outbox_warnings + " " + notes.join("; "); }
          say("sent", msg, {text: S.outbox_open, href: cfg.urls.patrol + entry.uuid});
          return "sent";
        });
      }
      if (s === 401 || data.code === "csrf") {
        entry.state = "sign-in";
        return put(entry).then(function () { return "sign-in"; });
      }
      if (s >= 500 || s === 429 || s === 408) {
        return put(entry).then(function () { return "retry"; });
      }
      entry.state = "refused";
      entry.error = refusal(s, data);
      return put(entry).then(function () {
        say("refused", S.outbox_refused + " " + entry.error);
        return "refused";
      });
    }, function () {
      return put(entry).then(function () { return "retry"; });
    });
  }

  function sendAll(entries, sess) {
    var outcome = "done";
    return entries.reduce(function (chain, entry) {
      return chain.then(function () {
        if (outcome !== "done") { return null; }
        if (entry.user && sess.user && entry.user !== sess.user) {
          entry.state = "other-user";
          return put(entry);
        }
        entry.state = "waiting";
        return sendOne(entry, sess.csrf).then(function (r) {
          if (r === "retry" || r === "sign-in") { outcome = r; }
        });
      });
    }, Promise.resolve()).then(function () { return outcome; });
  }

  function schedule() {
    clearTimeout(timer);
    var delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * Math.pow(2, Math.max(0, failures - 1)));
    delay = Math.round(delay * (0.75 + Math.random() * 0.5));
    nextTry = Date.now() + delay;
    document.body.setAttribute("data-outbox-retry-ms", String(delay));
    timer = setTimeout(function () { flush(); }, delay);
  }

  function round() {
    return all().then(function (entries) {
      var todo = entries.filter(function (e) {
        var st = stateOf(e);
        return st === "waiting" || st === "sign-in" || st === "other-user";
      });
      todo.sort(function (a, b) { return String(a.savedAt).localeCompare(String(b.savedAt)); });
      if (!todo.length) { return "idle"; }
      if (navigator.onLine === false) { return "retry"; }
      return session().then(function (sess) {
        if (!sess.ok) {
          return Promise.all(todo.map(function (e) { e.state = "sign-in"; return put(e); }))
            .then(function () { return "sign-in"; });
        }
        return sendAll(todo, sess);
      }, function () { return "retry"; });
    });
  }

  /* one round over the waiting patrols, then the next try when some are left */
  function flush() {
    if (sending) { return sending; }
    clearTimeout(timer);
    nextTry = null;
    sending = round().then(function (outcome) {
      if (outcome === "retry") {
        failures += 1;
        say("offline", S.outbox_offline);
        schedule();
      } else if (outcome === "sign-in") {
        failures += 1;
        say("sign-in", S.outbox_sign_in, {text: "→", href: cfg.urls.login});
        schedule();  /* signing in in another tab is noticed */
      } else {
        failures = 0;
      }
    }).catch(function () {
      failures += 1;
      schedule();
    }).then(function () {
      sending = null;
      sendingNow = null;
      return render();
    });
    return sending;
  }

  P.outbox = {
    put: put,
    remove: remove,
    all: all,
    render: render,
    flush: flush,
    say: say,
    isDraft: isDraft,
    /* the newest draft (a track being recorded), or null */
    latestDraft: function () {
      return all().then(function (entries) {
        var drafts = entries.filter(isDraft);
        drafts.sort(function (a, b) { return String(b.savedAt).localeCompare(String(a.savedAt)); });
        return drafts[0] || null;
      });
    },
    start: function () {
      window.addEventListener("online", function () { failures = 0; flush(); });
      document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible" && nextTry && Date.now() >= nextTry) { flush(); }
      });
      return render().then(function (entries) {
        if (entries.some(function (e) { return !isDraft(e); })) { flush(); }
        document.body.setAttribute("data-outbox-ready", "true");
      });
    }
  };
}());
