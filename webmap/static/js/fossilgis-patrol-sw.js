/* fossilgis patrol app: the service worker (served at /patrols/sw.js, scope /patrols/).

   The server puts self.FOSSILGIS_SW before this text: {version, form, precache, static}.
   - install: store the form's static files and the form page in "fossilgis-patrol-<version>"
     (the version is a hash of those files: a deploy that changes one makes a new worker);
   - activate: delete the caches of older versions, take control of open forms;
   - fetch: the form page network-first (a fresh page carries the current session, site list
     and language) with the cached copy when there is no answer within a few seconds, no
     network, or a redirect to the sign-in page (an expired session must not lose the form);
     the static files cache-first. Nothing else is touched: no POST (the outbox's uploads),
     no API answer, no photo, no other page is ever cached. */
"use strict";

var SW = self.FOSSILGIS_SW;
var PREFIX = "fossilgis-patrol-";
var CACHE = PREFIX + SW.version;
var NETWORK_WAIT_MS = 4000;
var PRECACHED = {};
SW.precache.forEach(function (u) { PRECACHED[u] = true; });

function formRequest() {
  return new Request(SW.form, {credentials: "same-origin", cache: "no-store"});
}

/* a copy of the form worth keeping: the page itself, not the sign-in page it redirected to */
function goodPage(resp) {
  return resp && resp.ok && !resp.redirected && resp.type === "basic" &&
    (resp.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

function keepPage(resp) {
  if (!goodPage(resp)) { return Promise.resolve(); }
  var copy = resp.clone();
  return caches.open(CACHE).then(function (cache) { return cache.put(SW.form, copy); });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    var files = SW.precache.map(function (u) { return new Request(u, {cache: "reload"}); });
    return cache.addAll(files).then(function () {
      /* the page too when the session allows (it is there: the page registered us) */
      return fetch(formRequest()).then(keepPage, function () { return null; });
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf(PREFIX) === 0 && n !== CACHE;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function cachedForm() {
  return caches.open(CACHE).then(function (cache) { return cache.match(SW.form); });
}

/* the network's page within NETWORK_WAIT_MS, else (or without one) the cached form */
function formPage(event) {
  var network = fetch(event.request);
  var kept = network.then(function (resp) {
    var stored = keepPage(resp);
    /* keep the worker alive until the copy is stored (not possible once the answer has
       gone out and nothing else is pending: then the store simply races the worker) */
    try { event.waitUntil(stored); } catch (e) { /* InvalidStateError: see above */ }
    return resp;
  });
  var timer;
  var late = new Promise(function (resolve) {
    timer = setTimeout(function () { resolve(null); }, NETWORK_WAIT_MS);
  });
  return Promise.race([kept.catch(function () { return null; }), late]).then(function (resp) {
    clearTimeout(timer);
    if (resp && goodPage(resp)) { return resp; }
    return cachedForm().then(function (cached) {
      if (cached) { return cached; }
      return resp || network;  /* nothing cached yet: the network's answer or its error */
    });
  });
}

/* cache-first; but a page of a newer deploy (its scripts carry ?v=<its version>) gets the
   network's file while this older worker is being replaced */
function staticFile(request, url) {
  var v = url.searchParams.get("v");
  var newer = v && /^[0-9a-f]{16}$/.test(v) && v !== SW.version;
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request, {ignoreSearch: true}).then(function (hit) {
      if (newer) { return fetch(request).catch(function () { return hit || Response.error(); }); }
      return hit || fetch(request);
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (url.pathname === SW.form && request.mode === "navigate") {
    event.respondWith(formPage(event));
  } else if (PRECACHED[url.pathname]) {
    event.respondWith(staticFile(request, url));
  }
});
