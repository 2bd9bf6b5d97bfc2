// Sinergi's service worker: a reload while offline shows the last copy of the page.
// Pages: network first; each answer is kept, and when the network fails the kept copy is shown,
// marked (body[data-offline-snapshot]) so the page says it is a copy. The site's own scripts and
// styles: the kept copy first, refreshed in the background. Writes are never touched: they go to
// the network, and the page's outbox keeps what could not be sent (static/js/app.js).
"use strict";

var PAGES = "sinergi-pages-v1";
var ASSETS = "sinergi-assets-v1";
var NETWORK_WAIT_MS = 10000;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) { return name !== PAGES && name !== ASSETS; })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

function withinTime(promise, ms) {
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("slow network")); }, ms);
    promise.then(function (value) { clearTimeout(timer); resolve(value); },
                 function (error) { clearTimeout(timer); reject(error); });
  });
}

function markedCopy(response) {
  return response.text().then(function (html) {
    var stamp = new Date().toISOString();
    var marked = html.replace("<body ", '<body data-offline-snapshot="' + stamp + '" ');
    return new Response(marked, {status: 200, headers: {"Content-Type": "text/html; charset=utf-8"}});
  });
}

function page(request) {
  var network = fetch(request).then(function (response) {
    var type = response.headers.get("Content-Type") || "";
    if (response.ok && type.indexOf("text/html") === 0 && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { cache.put(request.url, copy); });
    }
    return response;
  });
  return caches.open(PAGES).then(function (cache) { return cache.match(request.url); }).then(function (kept) {
    // Nothing kept: the network, however slow (a busy server is not an offline one).
    if (!kept) { return network; }
    // A kept copy: shown when the network fails, or stalls for NETWORK_WAIT_MS.
    return withinTime(network, NETWORK_WAIT_MS).catch(function () { return markedCopy(kept); });
  });
}

function asset(request) {
  return caches.open(ASSETS).then(function (cache) {
    return cache.match(request).then(function (kept) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      return kept || fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/socket.io/") === 0) { return; }
  if (request.mode === "navigate") { event.respondWith(page(request)); return; }
  if (url.pathname.indexOf("/static/") === 0) { event.respondWith(asset(request)); }
});
