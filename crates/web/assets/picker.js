// The place picker: every input marked data-place becomes a type-ahead that finds a place by
// its name, short name, pinyin or initials (武汉 / wh) and shows its full name; the form still
// sends the CODE in the same field. Without this script the field takes a code as before.
//
// data-place          where to look: mine (own subtree), region (the platform's tree), china
//                     (and the national codes to county level)
// data-place-levels   levels wanted, comma-separated (province … village, grid)
// data-place-context  a code whose subtree comes first (a checkpoint's own county)
// data-place-outside  "name": a place outside the region is sent as its full name, not a code
//                     (a passage's destination)
//
// Online it asks /api/v1/places/search; with no signal (or when that fails) it searches the
// list of names from /api/v1/places/names, fetched once and kept by the browser for a week.
(function () {
  "use strict";
  var NAMES = "/api/v1/places/names";
  var SEARCH = "/api/v1/places/search";
  var SHOWN = 8;
  var seq = 0;
  var list = null;
  var listLoading = null;

  function recentKey() {
    var who = document.querySelector("header .who");
    return "dualtrack.places.recent." + (who ? who.textContent.trim() : "");
  }
  function recent() {
    try {
      var r = JSON.parse(localStorage.getItem(recentKey()) || "[]");
      return Array.isArray(r) ? r : [];
    } catch (e) { return []; }
  }
  function remember(hit) {
    var r = recent().filter(function (h) { return h.code !== hit.code; });
    r.unshift({ code: hit.code, name: hit.name, path: hit.path, level: hit.level, in_region: hit.in_region });
    try { localStorage.setItem(recentKey(), JSON.stringify(r.slice(0, 10))); } catch (e) { /* full or blocked */ }
  }

  // ---- the list kept on the phone, and the same search over it as the server's ----
  var LEVELS = ["", "province", "prefecture", "county", "township", "village", "grid"];
  var LEVEL_NAMES = ["", "省级", "地级", "县级", "乡级", "村级", "网格"];
  function initials(spell) {
    return spell.split(" ").map(function (s) { return s.charAt(0); }).join("");
  }
  function loadList() {
    if (list) return Promise.resolve(list);
    if (listLoading) return listLoading;
    listLoading = fetch(NAMES, { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) throw new Error(resp.status);
      return resp.json();
    }).then(function (body) {
      var ps = body.places.map(function (p) {
        var spell = p[5], shortSpell = p[7] || p[5];
        return {
          code: p[0], name: p[1], rank: p[2], parent: p[3], region: p[4] === 1,
          short: p[6] || p[1], joined: spell.replace(/ /g, ""), shortJoined: shortSpell.replace(/ /g, ""),
          initials: initials(spell), shortInitials: initials(shortSpell), path: null
        };
      });
      ps.forEach(function (p) {
        p.path = p.parent >= 0 ? ps[p.parent].path + p.name : p.name;
      });
      list = { home: body.home || "", places: ps };
      return list;
    }).catch(function (e) { listLoading = null; throw e; });
    return listLoading;
  }
  function parseQuery(raw) {
    var q = raw.replace(/[^\p{L}\p{N}]/gu, "").toLowerCase().replace(/ü/g, "v");
    if (!q) return null;
    if (/^[0-9]+$/.test(q)) return { kind: "code", q: q };
    if (/^[a-z]+$/.test(q)) return { kind: "spell", q: q };
    return { kind: "name", q: q };
  }
  function tier(query, p) {
    var q = query.q;
    if (query.kind === "code") return p.code === q ? 0 : p.code.indexOf(q) === 0 ? 1 : -1;
    if (query.kind === "name") {
      if (p.name === q || p.short === q) return 0;
      if (p.name.indexOf(q) === 0) return 1;
      return p.name.indexOf(q) >= 0 ? 4 : -1;
    }
    if (p.joined === q || p.shortJoined === q || p.initials === q || p.shortInitials === q) return 2;
    return p.joined.indexOf(q) === 0 || p.initials.indexOf(q) === 0 ? 3 : -1;
  }
  function searchLocal(opts, raw) {
    var query = parseQuery(raw);
    if (!query) return [];
    var recents = recent().map(function (h) { return h.code; });
    var found = [];
    list.places.forEach(function (p) {
      if (opts.within === "mine" && !(p.region && p.code.indexOf(list.home) === 0)) return;
      if (opts.within !== "china" && !p.region) return;
      if (opts.levels.length && opts.levels.indexOf(LEVELS[p.rank]) < 0) return;
      var t = tier(query, p);
      if (t < 0) return;
      var r = recents.indexOf(p.code);
      found.push({ p: p, key: [r < 0 ? 99 : r, t, opts.context && p.code.indexOf(opts.context) === 0 ? 0 : 1, p.rank, p.name.length] });
    });
    found.sort(function (a, b) {
      for (var i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i];
      return a.p.code < b.p.code ? -1 : 1;
    });
    return found.slice(0, SHOWN).map(function (f) {
      return { code: f.p.code, name: f.p.name, path: f.p.path, level: LEVELS[f.p.rank], level_name: LEVEL_NAMES[f.p.rank], in_region: f.p.region };
    });
  }
  function searchServer(opts, raw) {
    var params = new URLSearchParams({ q: raw, within: opts.within, limit: String(SHOWN) });
    if (opts.levels.length) params.set("levels", opts.levels.join(","));
    if (opts.context) params.set("context", opts.context);
    var r = recent().map(function (h) { return h.code; });
    if (r.length) params.set("recent", r.join(","));
    return fetch(SEARCH + "?" + params, { credentials: "same-origin" }).then(function (resp) {
      if (!resp.ok) throw new Error(resp.status);
      return resp.json();
    });
  }
  function search(opts, raw) {
    var local = function () { return loadList().then(function () { return { hits: searchLocal(opts, raw), offline: true }; }); };
    if (navigator.onLine === false) return local();
    return searchServer(opts, raw).then(function (hits) { return { hits: hits, offline: false }; }, local);
  }

  // ---- the widget ----
  function setup(input) {
    var opts = {
      within: input.dataset.place || "region",
      levels: (input.dataset.placeLevels || "").split(",").filter(Boolean),
      context: input.dataset.placeContext || "",
      outsideAsName: input.dataset.placeOutside === "name"
    };
    var id = "place-" + (++seq);
    var wrap = document.createElement("span");
    wrap.className = "picker";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var box = document.createElement("div");
    box.className = "picker-list";
    box.id = id + "-list";
    box.setAttribute("role", "listbox");
    box.hidden = true;
    wrap.appendChild(box);
    var chosen = document.createElement("span");
    chosen.className = "picker-chosen muted small";
    chosen.setAttribute("aria-live", "polite");
    wrap.appendChild(chosen);
    // A name is typed here, not digits only.
    input.removeAttribute("pattern");
    input.removeAttribute("inputmode");
    input.removeAttribute("list");
    input.setAttribute("autocomplete", "off");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", box.id);
    input.setAttribute("aria-expanded", "false");
    if (!input.placeholder || /[0-9]{4}|代码/.test(input.placeholder)) input.placeholder = "输入地名、拼音或首字母，如 武汉 / wh";
    var hits = [], active = -1, timer = null, asked = 0;

    function close() {
      box.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function mark(i) {
      var opts_ = box.querySelectorAll("[role=option]");
      for (var j = 0; j < opts_.length; j++) opts_[j].setAttribute("aria-selected", j === i ? "true" : "false");
      active = i;
      if (i >= 0 && opts_[i]) {
        input.setAttribute("aria-activedescendant", opts_[i].id);
        opts_[i].scrollIntoView({ block: "nearest" });
      }
    }
    function show(found, offline) {
      hits = found;
      box.textContent = "";
      if (!found.length) {
        var none = document.createElement("div");
        none.className = "picker-none";
        none.textContent = offline ? "没有找到（离线，按手机上保存的地名查找）" : "没有找到，可直接填写代码";
        box.appendChild(none);
      }
      found.forEach(function (h, i) {
        var o = document.createElement("div");
        o.id = id + "-" + i;
        o.className = "picker-option";
        o.setAttribute("role", "option");
        o.setAttribute("aria-selected", "false");
        o.dataset.code = h.code;
        var n = document.createElement("strong");
        n.textContent = h.name;
        var p = document.createElement("span");
        p.className = "picker-path";
        p.textContent = h.path + " · " + h.level_name + " · " + h.code;
        o.appendChild(n);
        o.appendChild(p);
        o.addEventListener("mousedown", function (e) { e.preventDefault(); });
        o.addEventListener("click", function () { pick(h); });
        box.appendChild(o);
      });
      if (offline && found.length) {
        var note = document.createElement("div");
        note.className = "picker-none";
        note.textContent = "离线：按手机上保存的地名查找";
        box.appendChild(note);
      }
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(found.length ? 0 : -1);
    }
    function pick(h) {
      var asName = opts.outsideAsName && !h.in_region;
      input.value = asName ? h.path : h.name;
      if (asName) {
        delete input.dataset.placeCode;
        delete input.dataset.placeLabel;
      } else {
        input.dataset.placeCode = h.code;
        input.dataset.placeLabel = input.value;
      }
      chosen.textContent = asName ? h.path + "（区域外，按地名登记）" : h.path + " · " + h.code;
      remember(h);
      close();
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
    function ask() {
      var raw = input.value.trim();
      var n = ++asked;
      if (!raw) { close(); return; }
      search(opts, raw).then(function (r) {
        if (n === asked && document.activeElement === input) show(r.hits, r.offline);
      }, function () { if (n === asked) close(); });
    }
    input.addEventListener("input", function () {
      if (input.value !== input.dataset.placeLabel) {
        delete input.dataset.placeCode;
        delete input.dataset.placeLabel;
        chosen.textContent = "";
      }
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (box.hidden) {
        if (e.key === "ArrowDown" && input.value.trim()) { ask(); e.preventDefault(); }
        return;
      }
      if (e.key === "ArrowDown") { mark(Math.min(active + 1, hits.length - 1)); e.preventDefault(); }
      else if (e.key === "ArrowUp") { mark(Math.max(active - 1, 0)); e.preventDefault(); }
      else if (e.key === "Enter") { if (active >= 0 && hits[active]) { pick(hits[active]); e.preventDefault(); } else close(); }
      else if (e.key === "Escape") { close(); e.preventDefault(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    // A code in the field (given beforehand, a form shown again, or typed as a code) stays
    // as it is, named underneath.
    function nameTheCode() {
      var start = input.value.trim();
      if (!/^[0-9]{2,15}$/.test(start)) return;
      search({ within: "china", levels: [], context: "" }, start).then(function (r) {
        var h = r.hits.filter(function (x) { return x.code === start; })[0];
        if (h && input.value.trim() === start) chosen.textContent = h.path + " · " + h.code;
      }, function () { /* the code stays unnamed */ });
    }
    input.addEventListener("change", nameTheCode);
    nameTheCode();
  }

  // The field is sent as the chosen code, whatever name is shown.
  document.addEventListener("formdata", function (e) {
    var inputs = e.target.querySelectorAll("input[data-place-code]");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.name && input.value === input.dataset.placeLabel) e.formData.set(input.name, input.dataset.placeCode);
    }
  }, true);

  function init() {
    var inputs = document.querySelectorAll("input[data-place]");
    for (var i = 0; i < inputs.length; i++) setup(inputs[i]);
    // Fetched ahead so that the names are on the phone before the signal goes.
    if (inputs.length) {
      var later = window.requestIdleCallback || function (f) { setTimeout(f, 1500); };
      later(function () { loadList().catch(function () { /* tried again when needed */ }); });
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
