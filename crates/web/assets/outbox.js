// The outbox: what a phone form records is kept on the phone (IndexedDB) before it is sent,
// and sent when there is signal: at once, on reconnecting, on each page load and by the
// 立即同步 button. Each record carries its own idempotency key and the phone's time it was
// made, so a record sent twice is written once, dated when it was made.
// States: 待发送 (pending), 已发送 (sent), 被退回 (refused: listed under 待处理 with the
// server's message, to be corrected and sent again, or discarded; never dropped).
// Records belong to the account that made them; logging out keeps them for that account.
// Also: registers the service worker, keeps the work lists a role takes offline, and clears
// what the phone holds at logout.
(function () {
  "use strict";
  var DB = "dualtrack", OUT = "outbox", LISTS = "worklists";
  var SENT_KEPT = 20;
  // Work lists and the lines of records sent older than this many hours are deleted from the
  // phone: set by the server (its configuration's [offline] keep_hours) on every page.
  var KEEP_HOURS = parseInt(document.documentElement.getAttribute("data-offline-hours") || "24", 10);
  if (!(KEEP_HOURS > 0)) KEEP_HOURS = 24;
  function keptSince() { return Date.now() - KEEP_HOURS * 3600 * 1000; }
  var STATES = { pending: "待发送", sent: "已发送", refused: "被退回" };

  // ---- storage ----
  function open() {
    return new Promise(function (ok, fail) {
      var r = indexedDB.open(DB, 1);
      r.onupgradeneeded = function () {
        var db = r.result;
        if (!db.objectStoreNames.contains(OUT)) db.createObjectStore(OUT, { keyPath: "key" });
        if (!db.objectStoreNames.contains(LISTS)) db.createObjectStore(LISTS, { keyPath: "id" });
      };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { fail(r.error); };
    });
  }
  function tx(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (ok, fail) {
        var t = db.transaction(store, mode);
        var res = fn(t.objectStore(store));
        t.oncomplete = function () { ok(res && res.result !== undefined ? res.result : res); };
        t.onerror = function () { fail(t.error); };
      });
    });
  }
  function all(store) { return tx(store, "readonly", function (s) { return s.getAll(); }); }
  function put(store, v) { return tx(store, "readwrite", function (s) { s.put(v); }); }
  function del(store, k) { return tx(store, "readwrite", function (s) { s["delete"](k); }); }
  function get(store, k) { return tx(store, "readonly", function (s) { return s.get(k); }); }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function user() { return localStorage.getItem("dt-user") || ""; }
  function hhmm(iso) {
    var d = new Date(iso);
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes());
  }

  // ---- the kinds of form ----
  // The phone's day, as a date field holds it.
  // The day (China Standard Time, as the server counts days) of a time of the phone's
  // clock, set right by how far it was from the server's when last asked.
  function phoneDay() { return dayOf(new Date().toISOString()); }
  function dayOf(iso) {
    var off = parseInt(localStorage.getItem("dt-clock-offset") || "0", 10) || 0;
    return new Date(Date.parse(iso) + off + 8 * 3600 * 1000).toISOString().slice(0, 10);
  }
  // A day field marked data-phone-day (with the server's day when the page was made): the
  // day the record is for, unless changed. It shows the phone's day (a page kept on the phone
  // may be days old), and left at it goes empty: the server then takes the day of the
  // record's phone time, so that a record made before midnight and sent after counts in its
  // own day.
  function phoneDays(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[data-phone-day]"));
  }
  function showPhoneDay(form) {
    var today = phoneDay();
    phoneDays(form).forEach(function (d) {
      if (d.value !== d.getAttribute("data-phone-day")) return;
      d.value = today;
      if (d.max && d.max < today) d.max = today;
    });
  }
  // The form's fields as the browser would send them (so that a place chosen by name goes
  // as its code: the picker sets it in the form data).
  function pairs(form) {
    var out = [];
    var today = phoneDay();
    var dayOfPhone = {};
    phoneDays(form).forEach(function (d) { if (d.value === today) dayOfPhone[d.name] = true; });
    new FormData(form).forEach(function (value, name) {
      if (name === "csrf_token" || name === "idempotency_key" || typeof value !== "string") return;
      out.push([name, dayOfPhone[name] ? "" : value]);
    });
    return out;
  }
  function first(ps, name) {
    for (var i = 0; i < ps.length; i++) if (ps[i][0] === name) return ps[i][1];
    return "";
  }
  function every(ps, name) {
    return ps.filter(function (p) { return p[0] === name; }).map(function (p) { return p[1]; });
  }
  function opt(v) { v = (v || "").trim(); return v ? v : null; }

  // A whole number as typed, or the text itself (the server names what is wrong with it).
  function whole(v, dflt) {
    v = (v || "").trim();
    if (!v) return dflt;
    return /^-?\d+$/.test(v) ? parseInt(v, 10) : v;
  }
  function optionText(form, name) {
    var s = form.querySelector("select[name='" + name + "']");
    return s && s.selectedIndex >= 0 ? s.options[s.selectedIndex].text : "";
  }

  // Empties a form for the next record, keeping the day it is for.
  function resetKeeping(form, name) {
    var day = form.querySelector("input[name=" + name + "]");
    var keep = day ? day.value : "";
    form.reset();
    if (day) day.value = keep;
    showPhoneDay(form);
  }

  // The daily report's form asking to confirm figures found odd (the box required, the
  // button saying so), or not.
  function askToConfirm(form, on) {
    var box = form.querySelector("input[name=confirm_implausible]");
    if (box) box.required = on;
    var button = form.querySelector("button[type=submit]");
    if (button) button.textContent = on ? "确认无误，仍然报送" : "提交日报";
  }

  var KINDS = {
    // A monitoring case's follow-up. Nothing of the person is kept with it: the line reads
    // by temperature and time only.
    followup: {
      label: "随访",
      timeField: "made_at",
      body: function (form, ps) {
        var raw = first(ps, "temperature").trim();
        var t = /^\d+(\.\d+)?$/.test(raw) ? parseFloat(raw) : raw;
        return {
          at: opt(first(ps, "at")),
          temperature: t,
          symptoms: every(ps, "symptoms"),
          clinic: opt(first(ps, "clinic")),
          note: opt(first(ps, "note"))
        };
      },
      summary: function (body) { return "体温 " + body.temperature + " ℃"; },
      reset: function (form) { form.reset(); }
    },
    // An enterprise's daily report (figures left empty are 0, as on the page).
    report: {
      label: "企业日报",
      timeField: "made_at",
      body: function (form, ps) {
        return {
          report_date: first(ps, "report_date").trim(),
          status: first(ps, "status"),
          on_duty: whole(first(ps, "on_duty"), ""),
          back_from_outside: whole(first(ps, "back_from_outside"), 0),
          in_quarantine: whole(first(ps, "in_quarantine"), 0),
          abnormal_temps: whole(first(ps, "abnormal_temps"), 0),
          mask_days: whole(first(ps, "mask_days"), 0),
          disinfectant_days: whole(first(ps, "disinfectant_days"), 0),
          checks_passed: whole(first(ps, "checks_passed"), 0),
          output: whole(first(ps, "output"), 0),
          problems: first(ps, "problems"),
          // Figures that looked odd, confirmed by the liaison (after the server asked).
          confirm_implausible: first(ps, "confirm_implausible") === "1"
        };
      },
      summary: function (body) {
        return (document.title.split(" · ")[0] || "") + " " + body.report_date + " · 在岗 " + body.on_duty;
      },
      // Figures the server found odd: listed above the form, which then asks to confirm them.
      doubts: function (form, doubts) {
        var box = document.getElementById("doubts");
        if (!box) {
          box = el("div", "error");
          box.id = "doubts";
          box.setAttribute("role", "alert");
          form.parentNode.insertBefore(box, form);
        }
        box.textContent = "";
        box.appendChild(el("p", "", "以下数字看似异常，请核对："));
        var ul = el("ul");
        doubts.forEach(function (d) { ul.appendChild(el("li", "", d)); });
        box.appendChild(ul);
        box.appendChild(el("p", "", "如确属实际情况，请勾选“确认无误，仍然报送”后再提交。"));
        askToConfirm(form, true);
        box.scrollIntoView({ block: "start" });
      },
      reset: function (form) {
        resetKeeping(form, "report_date");
        // The figures asked about are gone with them.
        var box = document.getElementById("doubts");
        if (box) box.parentNode.removeChild(box);
        askToConfirm(form, false);
      }
    },
    // A grid's daily report, or its zero report (the form offers the one the day allows):
    // the day and the remarks; the figures are counted by the server from the day's records.
    gridreport: {
      label: "网格日报",
      timeField: "made_at",
      body: function (form, ps) {
        return {
          report_date: first(ps, "report_date").trim(),
          remarks: first(ps, "remarks"),
          zero_report: !!form.querySelector("button[name=zero_report]")
        };
      },
      summary: function (body) { return body.report_date + (body.zero_report ? " · 零报告" : ""); },
      // The grid's page of that day, where a refused report is corrected.
      page: function (body) { return location.pathname + "?date=" + encodeURIComponent(body.report_date); },
      reset: function (form) { form.reset(); }
    },
    // A person screened in a household: the summary names the kind and the day only (the
    // person's name and ID number go with the record, never into the list's line).
    screening: {
      label: "摸排登记",
      timeField: "made_at",
      body: function (form, ps) {
        // Each line of the travel box: a place's code and a day.
        var travel = first(ps, "travel").split(/[;；\n]/).map(function (l) { return l.trim(); })
          .filter(function (l) { return l; }).map(function (l) {
            var w = l.split(/\s+/);
            return { code: w[0] || "", date: w[1] || "" };
          });
        return {
          household_id: whole(first(ps, "household_id"), ""),
          name: first(ps, "name").trim(),
          id_number: first(ps, "id_number").trim().toUpperCase(),
          phone: opt(first(ps, "phone")),
          kind: first(ps, "kind"),
          came_from: opt(first(ps, "came_from")),
          arrived_on: opt(first(ps, "arrived_on")),
          travel: travel,
          risk_contact: first(ps, "risk_contact") !== "",
          screened_on: first(ps, "screened_on").trim()
        };
      },
      summary: function (body, form) { return optionText(form, "kind") + " · " + (body.screened_on || phoneDay()); },
      reset: function (form) { resetKeeping(form, "screened_on"); }
    },
    // A hand-over acknowledged, with the measure taken (and its case's place and carers).
    ack: {
      label: "交接接收",
      timeField: "made_at",
      // A case opened by the acknowledgement is where the grid worker goes on, as without
      // the outbox.
      next: function (j) {
        var c = j && j.handover && j.handover.case_id;
        return c ? "/monitoring/cases/" + c + "?done=created" : null;
      },
      body: function (form, ps) {
        var responsible = [];
        for (var i = 1; i <= 5; i++) {
          var person = first(ps, "person_" + i).trim();
          if (person) responsible.push({ person_id: whole(person, person), duty: first(ps, "duty_" + i) });
        }
        return {
          measure: opt(first(ps, "measure")),
          place: opt(first(ps, "place")),
          last_exposure: opt(first(ps, "last_exposure")),
          note: opt(first(ps, "note")),
          responsible: responsible
        };
      },
      summary: function (body, form) {
        var m = form.querySelector("input[name=measure]:checked");
        var label = m && m.parentNode ? m.parentNode.textContent.trim() : "";
        return "交接 " + (form.getAttribute("data-id") || "") + (label ? " · " + label : "");
      },
      // Acknowledged once: the form is not offered again on this page (a second one would
      // only be refused).
      reset: function (form) { form.reset(); form.hidden = true; }
    },
    // A store's receipt, issue, transfer or count adjustment.
    movement: {
      label: "出入库",
      timeField: "made_at",
      body: function (form, ps) {
        var to = first(ps, "to_store_id");
        return {
          kind: first(ps, "kind"),
          item_id: whole(first(ps, "item_id"), ""),
          quantity: whole(first(ps, "quantity"), ""),
          unit: opt(first(ps, "unit")),
          moved_on: opt(first(ps, "moved_on")),
          to_store_id: to ? whole(to, to) : null,
          counterparty: first(ps, "counterparty").trim(),
          reason: first(ps, "reason").trim()
        };
      },
      summary: function (body, form) {
        return optionText(form, "kind") + " · " + optionText(form, "item_id").split(" · ")[0] + " " +
          body.quantity + (body.unit || "");
      },
      reset: function (form) { resetKeeping(form, "moved_on"); }
    },
    // A whistle raised: the summary is its category and place.
    ticket: {
      label: "吹哨",
      timeField: "made_at",
      body: function (form, ps) {
        var source = whole(first(ps, "source_id"), null);
        return {
          kind: opt(first(ps, "kind")),
          category: opt(first(ps, "category")),
          title: opt(first(ps, "title")),
          description: opt(first(ps, "description")),
          jurisdiction_code: opt(first(ps, "jurisdiction_code")),
          address: opt(first(ps, "address")),
          department_ids: every(ps, "department_ids").map(function (d) { return whole(d, d); }),
          deadline: opt(first(ps, "deadline")),
          source: opt(first(ps, "source")),
          source_id: source
        };
      },
      summary: function (body, form) { return optionText(form, "category") + " · " + (body.jurisdiction_code || ""); },
      reset: function (form) { form.reset(); }
    },
    passage: {
      label: "通行登记",
      timeField: "passed_at",
      body: function (form, ps) {
        var rows = form.querySelectorAll("fieldset.traveller");
        var travellers = [];
        for (var i = 0; i < rows.length; i++) {
          var row = rows[i];
          function v(n) { var el = row.querySelector("input[name=" + n + "]"); return el ? el.value.trim() : ""; }
          var o = row.querySelector("input[type=radio]:checked");
          var t = { name: v("name"), id_number: v("id_number").toUpperCase(), phone: opt(v("phone")),
            temperature: v("temperature"), outcome: o ? o.value : "" };
          if (i > 0 && !t.name && !t.id_number && !t.temperature) continue;
          travellers.push(t);
        }
        var plate = opt(first(ps, "plate"));
        return {
          plate: plate ? plate.toUpperCase() : null,
          vehicle_class: plate ? opt(first(ps, "vehicle_class")) : null,
          origin: first(ps, "origin").trim(),
          travel_history: first(ps, "travel_history").trim(),
          destination: first(ps, "destination").trim(),
          reason: first(ps, "reason").trim(),
          travellers: travellers
        };
      },
      summary: function (body) {
        return (body.plate || "步行") + " · " + body.travellers.length + " 人";
      },
      rows: function (ps) { return every(ps, "name").length; },
      reset: function (form) {
        var rows = form.querySelectorAll("fieldset.traveller");
        for (var i = 1; i < rows.length; i++) rows[i].parentNode.removeChild(rows[i]);
        form.reset();
        var fev = form.querySelectorAll(".has-fever");
        for (var j = 0; j < fev.length; j++) fev[j].classList.remove("has-fever");
      }
    }
  };

  // Puts a record's fields back into its form (rows added as needed), in order by name.
  function fill(form, kind, ps, madeAt) {
    var add = document.getElementById("add-traveller");
    var want = kind.rows ? kind.rows(ps) : 0;
    while (add && want > form.querySelectorAll("fieldset.traveller").length) add.click();
    // Boxes not ticked in the record were not kept: all unticked first.
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox]"), function (c) { c.checked = false; });
    var seen = {};
    ps.forEach(function (p) {
      var name = p[0], value = p[1];
      var els = form.querySelectorAll("[name='" + name + "']");
      var radios = Array.prototype.filter.call(els, function (e) { return e.type === "radio" || e.type === "checkbox"; });
      if (radios.length) {
        radios.forEach(function (r) { if (r.value === value) r.checked = true; });
        return;
      }
      var i = seen[name] || 0;
      seen[name] = i + 1;
      // A day left to the phone: the day the record was made.
      if (els[i] && value === "" && els[i].hasAttribute("data-phone-day")) value = dayOf(madeAt);
      if (els[i]) {
        els[i].value = value;
        els[i].dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
  }

  // ---- sending ----
  var syncing = false;
  function timed(url, init, ms) {
    var c = window.AbortController ? new AbortController() : null;
    if (c) init.signal = c.signal;
    var t = setTimeout(function () { if (c) c.abort(); }, ms || 20000);
    return fetch(url, init).then(function (r) { clearTimeout(t); return r; },
      function (e) { clearTimeout(t); throw e; });
  }
  function session() {
    return timed("/outbox/session", { credentials: "same-origin", cache: "no-store" }, 10000)
      .then(function (r) {
        if (r.status === 401) return { expired: true };
        if (!r.ok) throw new Error("session " + r.status);
        return r.json().then(function (s) {
          localStorage.setItem("dt-user", s.user);
          if (s.now) localStorage.setItem("dt-clock-offset", String(Date.parse(s.now) - Date.now()));
          return s;
        });
      });
  }
  function refusal(resp) {
    return resp.json().then(function (j) {
      var e = (j && j.error) || {};
      var msg = e.message || ("服务器退回（" + resp.status + "）");
      var fields = e.fields || {};
      var details = Object.keys(fields).map(function (k) { return fields[k]; })
        .filter(function (m) { return typeof m === "string" && m !== msg; });
      // Figures that look odd: the message lists them already; each is kept to be shown
      // on the form, where the user confirms them or corrects them.
      if (e.code === "implausible") return { message: msg, code: e.code, doubts: details };
      return { message: msg + (details.length ? "：" + details.join("；") : ""), code: e.code || "" };
    }, function () { return { message: "服务器退回（" + resp.status + "）", code: "" }; });
  }
  function retryAfter(resp) {
    var s = parseInt(resp.headers.get("Retry-After") || "", 10);
    return Date.now() + (isNaN(s) ? 30 : Math.min(s, 3600)) * 1000;
  }

  // Sends one record: "sent", "refused", "expired", or "later" (no signal, or the server
  // asked to wait).
  function sendOne(rec, s) {
    var csrf = s.csrf;
    var field = (KINDS[rec.kind] || {}).timeField;
    if (field && !rec.body[field] && s.now) {
      // Dated once, at the first attempt: how long ago the phone made it, back from the
      // server's time (a retry sends the very same body).
      var ago = Math.max(0, Date.now() - Date.parse(rec.made_at));
      rec.body[field] = new Date(Math.floor((Date.parse(s.now) - ago) / 1000) * 1000).toISOString();
    }
    return put(OUT, rec).then(function () { return timed(rec.api, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Idempotency-Key": rec.key },
      body: JSON.stringify(rec.body)
    }).then(function (resp) {
      if (resp.ok) {
        return resp.json().then(function (j) {
          rec.state = "sent"; rec.sent_at = new Date().toISOString();
          rec.id = j && (j.id || ["followup", "ticket", "movement", "handover"].map(function (k) {
            return j[k] && j[k].id;
          }).filter(function (v) { return v; })[0]);
          // The page the answer leads to, where it depends on the answer.
          var next = (KINDS[rec.kind] || {}).next;
          if (next) rec.next = next(j);
          // What was sent is on the server now: the phone keeps only the line of the list.
          delete rec.body; delete rec.fields;
          return put(OUT, rec).then(function () { return "sent"; });
        });
      }
      if (resp.status === 401) return "expired";
      if (resp.status === 503 || resp.status === 429 || resp.status >= 500) {
        rec.next_at = retryAfter(resp);
        return put(OUT, rec).then(function () { return "later"; });
      }
      return refusal(resp).then(function (r) {
        if (r.code === "csrf") return "expired";
        rec.state = "refused"; rec.message = r.message; rec.doubts = r.doubts || null;
        return put(OUT, rec).then(function () { return "refused"; });
      });
    }, function () { return "later"; }); });
  }

  function mine() {
    var u = user();
    return all(OUT).then(function (rs) {
      return rs.filter(function (r) { return r.user === u; })
        .sort(function (a, b) { return a.made_at < b.made_at ? -1 : 1; });
    });
  }

  function syncNow(force) {
    if (syncing) return Promise.resolve();
    syncing = true;
    var run = function () {
      return mine().then(function (rs) {
        var now = Date.now();
        var due = rs.filter(function (r) { return r.state === "pending" && (force || !r.next_at || r.next_at <= now); });
        if (!due.length) return;
        return session().then(function (s) {
          if (s.expired) { askPassword(); return; }
          var i = 0;
          function next() {
            if (i >= due.length) return;
            var rec = due[i++];
            return sendOne(rec, s).then(function (res) {
              if (res === "expired") { askPassword(); return; }
              if (res === "later") return;
              return next();
            });
          }
          return next();
        }, function () { /* no signal */ });
      });
    };
    var p = navigator.locks ? navigator.locks.request("dt-outbox", run) : run();
    return p.then(trim, function () {}).then(function () { syncing = false; render(); },
      function () { syncing = false; render(); });
  }

  // Sent records: only the last few lines are kept, and none older than the hours set by the
  // server. Records not sent are never deleted but by their owner.
  function trim() {
    var since = keptSince();
    return mine().then(function (rs) {
      var sent = rs.filter(function (r) { return r.state === "sent"; });
      var old = sent.slice(0, Math.max(0, sent.length - SENT_KEPT)).concat(sent.filter(function (r) {
        return Date.parse(r.sent_at || r.made_at) < since;
      }));
      return Promise.all(old.map(function (r) { return del(OUT, r.key); }));
    });
  }

  // ---- the panel ----
  var panel = null;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function render() {
    var main = document.querySelector("main");
    if (!main) return Promise.resolve();
    return mine().then(function (rs) {
      var onForm = !!document.querySelector("form[data-outbox]");
      if (!rs.length && !onForm) { if (panel) panel.hidden = true; return; }
      if (!panel) {
        panel = el("section", "outbox");
        panel.id = "outbox";
        panel.setAttribute("aria-live", "polite");
        main.insertBefore(panel, main.firstChild);
      }
      panel.hidden = false;
      panel.textContent = "";
      var n = { pending: 0, sent: 0, refused: 0 };
      rs.forEach(function (r) { n[r.state]++; });
      // "Saved for later" said of records that have gone since.
      if (!n.pending) {
        Array.prototype.forEach.call(document.querySelectorAll(".outbox-notice.later"), function (p) {
          p.parentNode.removeChild(p);
        });
      }
      var head = el("p", "outbox-head");
      head.appendChild(el("strong", "", "离线记录"));
      head.appendChild(el("span", "count pending", " 待发送 " + n.pending));
      head.appendChild(el("span", "count refused", " · 待处理 " + n.refused));
      head.appendChild(el("span", "count sent", " · 已发送 " + n.sent));
      head.appendChild(el("span", "net", navigator.onLine ? "" : " · 无信号"));
      var b = el("button", "secondary small", "立即同步");
      b.type = "button"; b.id = "outbox-sync";
      b.addEventListener("click", function () { syncNow(true); });
      head.appendChild(b);
      panel.appendChild(head);
      var refused = rs.filter(function (r) { return r.state === "refused"; });
      if (refused.length) {
        var h = el("h2", "small", "待处理（服务器退回，请修改后重新发送或丢弃）");
        panel.appendChild(h);
        var ul = el("ul", "outbox-list refused");
        refused.forEach(function (r) { ul.appendChild(line(r, true)); });
        panel.appendChild(ul);
      }
      var rest = rs.filter(function (r) { return r.state !== "refused"; }).reverse();
      if (rest.length) {
        var d = el("details", "outbox-all");
        d.appendChild(el("summary", "", "全部记录（" + rest.length + "）"));
        var ul2 = el("ul", "outbox-list");
        rest.forEach(function (r) { ul2.appendChild(line(r, false)); });
        d.appendChild(ul2);
        panel.appendChild(d);
      }
    });
  }
  function line(r, actions) {
    var li = el("li", "state-" + r.state);
    li.setAttribute("data-key", r.key);
    li.appendChild(el("span", "what", r.label + " · " + r.summary));
    li.appendChild(el("span", "muted small", " " + hhmm(r.made_at) + " "));
    li.appendChild(el("b", "state", STATES[r.state]));
    if (actions) {
      li.appendChild(el("p", "error small", r.message || ""));
      var fix = el("button", "small", "修改");
      fix.type = "button";
      fix.addEventListener("click", function () {
        sessionStorage.setItem("dt-edit", r.key);
        location.href = r.page;
      });
      var drop = el("button", "secondary small", "丢弃");
      drop.type = "button";
      drop.addEventListener("click", function () {
        if (confirm("丢弃这条记录？丢弃后无法恢复：" + r.label + " · " + r.summary)) {
          del(OUT, r.key).then(render);
        }
      });
      li.appendChild(fix);
      li.appendChild(drop);
    }
    return li;
  }

  // A session that ended while there was no signal: the password again, the outbox kept.
  var asking = false;
  function askPassword() {
    if (asking || !panel) return;
    asking = true;
    var f = el("form", "outbox-login");
    f.appendChild(el("p", "error", "登录已过期。记录仍保存在本机，请输入密码后继续发送。"));
    var pw = el("input");
    pw.type = "password"; pw.name = "password"; pw.required = true; pw.autocomplete = "current-password";
    var lab = el("label", "", "密码");
    lab.appendChild(pw);
    f.appendChild(lab);
    var go = el("button", "", "登录并发送");
    go.type = "submit";
    f.appendChild(go);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      fetch("/login", { credentials: "same-origin", cache: "no-store" }).then(function (r) { return r.text(); })
        .then(function (html) {
          var m = /name="csrf_token" value="([0-9a-f]+)"/.exec(html);
          var body = new URLSearchParams();
          body.set("username", user()); body.set("password", pw.value);
          body.set("csrf_token", m ? m[1] : ""); body.set("next", "/");
          return fetch("/login", { method: "POST", credentials: "same-origin", body: body });
        }).then(function () { return session(); })
        .then(function (s) {
          if (s.expired) { pw.value = ""; f.querySelector("p").textContent = "密码不正确，请重试。"; return; }
          asking = false;
          f.parentNode.removeChild(f);
          return syncNow(true);
        }, function () { f.querySelector("p").textContent = "仍无信号，请稍后再试。"; });
    });
    panel.appendChild(f);
    pw.focus();
  }

  // ---- the forms ----
  function notice(form, text, cls) {
    var p = form.parentNode.querySelector(".outbox-notice");
    if (!p) {
      p = el("p", "outbox-notice");
      p.setAttribute("role", "status");
      form.parentNode.insertBefore(p, form);
    }
    p.className = "outbox-notice " + (cls || "notice");
    p.textContent = text;
  }

  // Where a form's record goes: its data-api, with a {field} taken from the record (the
  // household a person is screened in).
  function apiOf(form, body) {
    return form.getAttribute("data-api").replace(/\{(\w+)\}/g, function (_, f) {
      return encodeURIComponent(body[f] === undefined || body[f] === null ? "" : body[f]);
    });
  }

  function wire(form) {
    var kind = KINDS[form.getAttribute("data-outbox")];
    if (!kind) return;
    showPhoneDay(form);
    var editing = sessionStorage.getItem("dt-edit");
    if (editing) {
      sessionStorage.removeItem("dt-edit");
      get(OUT, editing).then(function (r) {
        if (!r || !r.fields) return;
        fill(form, kind, r.fields, r.made_at);
        form.setAttribute("data-replaces", r.key);
        form.setAttribute("data-made-at", r.made_at);
        if (r.doubts && r.doubts.length && kind.doubts) {
          notice(form, "正在核对被退回的记录：数字看似异常。", "error");
          kind.doubts(form, r.doubts);
        } else {
          notice(form, "正在修改被退回的记录：" + (r.message || ""), "error");
        }
      });
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!form.reportValidity()) return;
      // A corrected record keeps the time the first one was made.
      var madeAt = form.getAttribute("data-made-at") || new Date().toISOString();
      var ps = pairs(form);
      var body = kind.body(form, ps);
      var rec = {
        key: uuid(), user: user(), kind: form.getAttribute("data-outbox"), label: kind.label,
        api: apiOf(form, body), page: kind.page ? kind.page(body) : location.pathname, made_at: madeAt,
        body: body, fields: ps, summary: kind.summary(body, form), state: "pending"
      };
      var replaces = form.getAttribute("data-replaces");
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      // Kept on the phone first: whatever happens to the network or the page, it is not lost.
      put(OUT, rec).then(function () {
        return replaces ? del(OUT, replaces) : null;
      }).then(function () {
        form.removeAttribute("data-replaces");
        form.removeAttribute("data-made-at");
        if (!navigator.onLine) return "later";
        return session().then(function (s) {
          return s.expired ? "expired" : sendOne(rec, s);
        }, function () { return "later"; });
      }).then(function (res) {
        if (button) button.disabled = false;
        // Sent at once: on to the page the form names (with the new record's id when it
        // ends in "=" or names "{id}").
        var done = form.getAttribute("data-done");
        if (res === "sent" && rec.next) {
          location.href = rec.next;
          return;
        }
        if (res === "sent" && done && (rec.id || !/=$|\{id\}/.test(done))) {
          location.href = /=$/.test(done) ? done + rec.id : done.replace("{id}", rec.id);
          return;
        }
        if (res === "refused") {
          // Refused while the user is at the form: said here, the form keeps what was typed;
          // figures found odd are listed, to be confirmed or corrected.
          return del(OUT, rec.key).then(function () {
            if (rec.doubts && rec.doubts.length && kind.doubts) {
              var said = form.parentNode.querySelector(".outbox-notice");
              if (said) said.parentNode.removeChild(said);
              kind.doubts(form, rec.doubts);
            } else {
              notice(form, rec.message, "error");
            }
          }).then(render);
        }
        kind.reset(form);
        if (res === "sent") notice(form, kind.label + "已提交：" + rec.summary);
        else notice(form, "无信号：已存入待发送，有信号后自动发送。" + rec.summary, "notice later");
        if (res === "expired") { render().then(askPassword); return; }
        return render();
      }, function (err) {
        if (button) button.disabled = false;
        notice(form, "无法保存到本机：" + err, "error");
      });
    });
  }

  // ---- logout: warn of unsent records, keep them, forget the rest ----
  function clearPhone() {
    var jobs = [all(LISTS).then(function (ls) {
      return Promise.all(ls.map(function (l) { return del(LISTS, l.id); }));
    })];
    if (window.caches) jobs.push(caches.delete("dt-forms"));
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "clear" });
    }
    return Promise.all(jobs)["catch"](function () {});
  }
  function wireLogout() {
    var forms = document.querySelectorAll("form[action='/logout']");
    Array.prototype.forEach.call(forms, function (f) {
      f.addEventListener("submit", function (e) {
        if (f.getAttribute("data-cleared")) return;
        e.preventDefault();
        mine().then(function (rs) {
          var unsent = rs.filter(function (r) { return r.state !== "sent"; }).length;
          if (unsent && !confirm("还有 " + unsent + " 条记录未发送。退出后它们仍保存在本机，您再次登录后发送。确定退出？")) return;
          return clearPhone().then(function () {
            f.setAttribute("data-cleared", "1");
            f.submit();
          });
        });
      });
    });
  }

  // ---- work lists that travel ----
  // A page marks a list with data-worklist="<id>" and data-worklist-title: kept as shown
  // (masked as on screen: a grid worker's follow-ups due today and hand-overs waiting, a
  // checkpoint worker's checkpoint and shift), without its forms, with the time of keeping,
  // for the offline page.
  function keepLists() {
    var lists = document.querySelectorAll("[data-worklist]");
    var u = user();
    return Promise.all(Array.prototype.map.call(lists, function (l) {
      var copy = l.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll("form, input, button, script"), function (f) {
        f.parentNode.removeChild(f);
      });
      return put(LISTS, { id: u + ":" + l.getAttribute("data-worklist"), user: u,
        title: l.getAttribute("data-worklist-title") || "", html: copy.outerHTML, at: new Date().toISOString() });
    }));
  }
  // "数据同步于 14:05" (with the day when it was not today).
  function syncedAt(iso) {
    var when = hhmm(iso);
    var today = hhmm(new Date().toISOString()).slice(0, 5) === when.slice(0, 5);
    return "数据同步于 " + (today ? when.slice(6) : when);
  }
  var FORM_NAMES = [[/\/passage$/, "通行登记"], [/^\/tickets\/new$/, "发起吹哨"],
    [/^\/enterprises\/\d+$/, "企业日报"], [/^\/supplies\/stores\/\d+$/, "出入库登记"],
    [/^\/handovers\/\d+$/, "交接接收"]];
  // A hand-over's kept page (no one's data in it): its person as the waiting list the phone
  // holds shows them (masked), with the time of that sync.
  function showKeptHandover() {
    var box = document.querySelector("[data-kept-handover]");
    if (!box) return Promise.resolve();
    var id = box.getAttribute("data-kept-handover");
    return get(LISTS, user() + ":handovers-pending").then(function (l) {
      if (!l) return;
      var holder = el("div");
      holder.innerHTML = l.html;
      var a = holder.querySelector("a[href='/handovers/" + id + "']");
      var li = a && a.closest("li");
      if (!li) return;
      var p = el("p", "kept-person");
      while (li.firstChild) p.appendChild(li.firstChild);
      box.textContent = "";
      box.appendChild(p);
      box.appendChild(el("p", "muted small synced", syncedAt(l.at)));
    });
  }
  function showForms() {
    var box = document.getElementById("offline-forms");
    if (!box || !window.caches) return Promise.resolve();
    return caches.open("dt-forms").then(function (c) { return c.keys(); }).then(function (reqs) {
      if (!reqs.length) return;
      var ul = el("ul", "offline-forms");
      reqs.forEach(function (r) {
        var path = new URL(r.url).pathname;
        var name = FORM_NAMES.filter(function (f) { return f[0].test(path); }).map(function (f) { return f[1]; })[0] || path;
        var li = el("li");
        var a = el("a", "button", "打开" + name);
        a.href = path;
        li.appendChild(a);
        ul.appendChild(li);
      });
      box.appendChild(ul);
    });
  }
  function showLists() {
    var box = document.getElementById("worklists");
    if (!box) return Promise.resolve();
    var u = user();
    return all(LISTS).then(function (ls) {
      ls.filter(function (l) { return l.user === u; }).forEach(function (l) {
        var holder = el("div");
        holder.innerHTML = l.html;
        var s = holder.firstElementChild;
        if (!s) return;
        var h = s.querySelector("h2");
        if (!h) { h = el("h2"); s.insertBefore(h, s.firstChild); }
        h.textContent = l.title;
        s.classList.add("card");
        var when = el("p", "muted small synced", syncedAt(l.at));
        s.insertBefore(when, h.nextSibling);
        box.appendChild(s);
      });
    });
  }
  function expireLists() {
    var limit = keptSince();
    return all(LISTS).then(function (ls) {
      return Promise.all(ls.filter(function (l) { return Date.parse(l.at) < limit; })
        .map(function (l) { return del(LISTS, l.id); }));
    });
  }

  // ---- start ----
  function warm() {
    if (!navigator.serviceWorker || !navigator.onLine) return;
    var urls = Array.prototype.map.call(document.querySelectorAll("a[href]"), function (a) { return a.href; });
    var here = document.querySelector("form[data-outbox]") ? location.href : null;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) reg.active.postMessage({ type: "warm", urls: urls, page: here });
    });
  }
  function start() {
    if (!window.indexedDB) return;
    if (navigator.serviceWorker && location.protocol !== "file:") {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(warm, function () {});
    }
    Array.prototype.forEach.call(document.querySelectorAll("form[data-outbox]"), wire);
    wireLogout();
    var known = navigator.onLine ? session().then(function (s) {
      if (!s.expired) return keepLists();
    }, function () {}) : Promise.resolve();
    known.then(expireLists).then(trim).then(showLists).then(showForms).then(showKeptHandover).then(render).then(function () {
      if (navigator.onLine) syncNow(false);
    });
    window.addEventListener("online", function () { syncNow(true); });
    window.addEventListener("offline", render);
  }
  window.dtOutbox = { sync: syncNow, all: mine, keepHours: KEEP_HOURS };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
