// The service worker (served as /sw.js, scope the whole site): keeps the shell, styles,
// scripts and the phone forms so that they open with no signal. It keeps nothing else: pages
// with anyone's data and every API answer go to the network only. Work lists travel in
// IndexedDB (see outbox.js), not here. Cleared at logout.
"use strict";
var VERSION = "__VERSION__";
var SHELL = ["__SHELL__"];
var FORMS = ["__FORMS__"].map(function (p) { return new RegExp(p); });
// Kept once opened, never ahead of time from a page's links.
var OPENED = ["__FORMS_OPENED__"].map(function (p) { return new RegExp(p); });
var STATIC = "dt-static-" + VERSION;
var PAGES = "dt-forms";
var OFFLINE = "/offline";
var HASHED = /\.[0-9a-f]{10}\.[a-z0-9]+$/;

function isLinkedForm(url) {
  return !url.search && FORMS.some(function (re) { return re.test(url.pathname); });
}
function isForm(url) {
  return isLinkedForm(url) || (!url.search && OPENED.some(function (re) { return re.test(url.pathname); }));
}

// A page is kept only when it is a form, answered whole, and not the login page.
function keepable(resp) {
  return resp && resp.ok && !resp.redirected && resp.type === "basic";
}

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(STATIC).then(function (c) { return c.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("dt-static-") === 0 && k !== STATIC;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function fromNetworkKeeping(req, cacheName) {
  return fetch(req).then(function (resp) {
    if (keepable(resp)) {
      var copy = resp.clone();
      caches.open(cacheName).then(function (c) { c.put(req.url.split("?")[0], copy); });
    }
    return resp;
  });
}

self.addEventListener("fetch", function (e) {
  var req = e.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  // Hashed files never change: from the phone first.
  if (url.pathname.indexOf("/assets/") === 0 && HASHED.test(url.pathname)) {
    e.respondWith(caches.match(req).then(function (hit) {
      return hit || fromNetworkKeeping(req, STATIC);
    }));
    return;
  }
  if (req.mode !== "navigate") return;
  if (isForm(url)) {
    // The kept copy at once (a form opens in no time on a slow network, and with none),
    // renewed from the network behind it; the outbox sends with its own key and the
    // session's token of the moment, not the copy's. Not kept yet: the network.
    var fresh = fromNetworkKeeping(req, PAGES);
    e.respondWith(caches.match(url.pathname).then(function (hit) {
      if (hit) {
        e.waitUntil(fresh.catch(function () {}));
        return hit;
      }
      return fresh.catch(function () { return caches.match(OFFLINE); });
    }));
    return;
  }
  e.respondWith(fetch(req).catch(function () {
    return caches.match(OFFLINE).then(function (hit) {
      return hit || new Response("当前无网络", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
    });
  }));
});

// From the pages: keep the forms a page links to and the form page itself ("warm"), or
// forget every kept page ("clear", at logout).
self.addEventListener("message", function (e) {
  var msg = e.data || {};
  if (msg.type === "warm" && Array.isArray(msg.urls)) {
    var urls = msg.urls.filter(function (u) {
      try { return isLinkedForm(new URL(u, self.location.origin)); } catch (err) { return false; }
    }).slice(0, 20);
    try {
      if (msg.page && isForm(new URL(msg.page, self.location.origin))) urls.push(msg.page);
    } catch (err) { /* not a page of this site */ }
    e.waitUntil(caches.open(PAGES).then(function (c) {
      return Promise.all(urls.map(function (u) {
        return fetch(u, { credentials: "same-origin" }).then(function (resp) {
          if (keepable(resp)) return c.put(new URL(u, self.location.origin).pathname, resp);
        }).catch(function () {});
      }));
    }).then(function () { if (e.source) e.source.postMessage({ type: "warmed" }); }));
  } else if (msg.type === "clear") {
    e.waitUntil(caches.delete(PAGES).then(function () {
      if (e.source) e.source.postMessage({ type: "cleared" });
    }));
  }
});
