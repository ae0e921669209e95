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
// Pages with live figures or someone's data (a store's, a hand-over's): from the network,
// and with no signal the copy kept beside them, asked for without anyone's data.
var SHELLS = ["__SHELLS__"].map(function (p) { return new RegExp(p); });
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

function isShell(url) {
  return !url.search && SHELLS.some(function (re) { return re.test(url.pathname); });
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

// Keeps the copy of a page with no one's data in it (see SHELLS).
function keepShell(path) {
  return fetch(path, { credentials: "same-origin", cache: "no-store", headers: { "X-Dualtrack-Keep": "shell" } })
    .then(function (resp) {
      if (keepable(resp)) return caches.open(PAGES).then(function (c) { return c.put(path, resp); });
    }).catch(function () {});
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
  if (isShell(url)) {
    e.respondWith(fetch(req).then(function (resp) {
      if (keepable(resp)) e.waitUntil(keepShell(url.pathname));
      return resp;
    }, function () {
      return caches.match(url.pathname).then(function (hit) { return hit || caches.match(OFFLINE); });
    }));
    return;
  }
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
    function url(u) { try { return new URL(u, self.location.origin); } catch (err) { return null; } }
    var urls = msg.urls.filter(function (u) { var x = url(u); return x && isLinkedForm(x); }).slice(0, 20);
    // The kept copies of the pages a page links to (the hand-overs waiting in a list).
    var shells = msg.urls.map(url).filter(function (x) { return x && isShell(x); })
      .map(function (x) { return x.pathname; })
      .filter(function (p, i, all) { return all.indexOf(p) === i; }).slice(0, 20);
    try {
      if (msg.page && isForm(new URL(msg.page, self.location.origin))) urls.push(msg.page);
    } catch (err) { /* not a page of this site */ }
    e.waitUntil(caches.open(PAGES).then(function (c) {
      return Promise.all(shells.map(keepShell).concat(urls.map(function (u) {
        return fetch(u, { credentials: "same-origin" }).then(function (resp) {
          if (keepable(resp)) return c.put(new URL(u, self.location.origin).pathname, resp);
        }).catch(function () {});
      })));
    }).then(function () { if (e.source) e.source.postMessage({ type: "warmed" }); }));
  } else if (msg.type === "clear") {
    e.waitUntil(caches.delete(PAGES).then(function () {
      if (e.source) e.source.postMessage({ type: "cleared" });
    }));
  }
});
