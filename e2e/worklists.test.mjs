// Work lists that travel: a grid worker's follow-ups due today and hand-overs waiting are
// kept on the phone (IndexedDB, masked as on screen) as of the last visit, shown with no
// signal with the time of that sync, deleted after the hours the server's configuration sets
// and at logout; nothing of them is in the service worker's cache. Real binary, real SQLite
// file, Debian's headless Chromium with network emulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { shots, liveDemo } from './server.mjs';
import { waitFor } from './outbox_helpers.mjs';

// The server keeps personal data on phones for 3 hours (not the default 24).
const config = join(mkdtempSync(join(tmpdir(), 'dualtrack-e2e-config-')), 'dualtrack.toml');
writeFileSync(config, '[offline]\nkeep_hours = 3\n');
const live = liveDemo(['--config', config]);

const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };

/** The work lists the phone holds: [{ id, title, at }]. */
async function keptLists(page) {
  return page.evaluate(() => new Promise((ok, fail) => {
    const r = indexedDB.open('dualtrack');
    r.onerror = () => fail(r.error);
    r.onsuccess = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains('worklists')) { db.close(); ok([]); return; }
      const q = db.transaction('worklists').objectStore('worklists').getAll();
      q.onsuccess = () => { db.close(); ok(q.result.map((l) => ({ id: l.id, title: l.title, at: l.at, html: l.html }))); };
      q.onerror = () => fail(q.error);
    };
  }));
}

/** Puts a list on the phone as the account's, kept `hours` ago. */
async function keepOld(page, name, hours) {
  await page.evaluate(([n, h]) => new Promise((ok, fail) => {
    const r = indexedDB.open('dualtrack', 1);
    r.onsuccess = () => {
      const db = r.result;
      const u = localStorage.getItem('dt-user');
      const t = db.transaction('worklists', 'readwrite');
      t.objectStore('worklists').put({ id: `${u}:${n}`, user: u, title: n,
        html: `<section><h2>${n}</h2><p>${n}</p></section>`, at: new Date(Date.now() - h * 3600 * 1000).toISOString() });
      t.oncomplete = () => { db.close(); ok(); };
      t.onerror = () => fail(t.error);
    };
    r.onerror = () => fail(r.error);
  }), [name, hours]);
}

/** Every text the service worker's caches hold, joined. */
async function cachedText(page) {
  return page.evaluate(async () => {
    let all = '';
    for (const name of await caches.keys()) {
      const c = await caches.open(name);
      for (const req of await c.keys()) {
        const resp = await c.match(req);
        const type = resp.headers.get('Content-Type') || '';
        if (/text|json|javascript/.test(type)) all += await resp.text();
      }
    }
    return all;
  });
}

test('a grid worker\'s lists are there with no signal as of the last sync, for the hours set, and gone at logout', async () => {
  const { context, page } = await live.loggedIn('grid_worker', phone);
  // The hours come from the server's configuration, on every page.
  assert.equal(await page.getAttribute('html', 'data-offline-hours'), '3');

  await page.goto(`${live.base}/monitoring/due`);
  const person = (await page.textContent('.due-item strong')).trim();
  assert.ok(person, 'someone is due today');
  await page.evaluate(() => navigator.serviceWorker.ready);
  assert.equal(await page.evaluate(() => window.dtOutbox.keepHours), 3);
  await waitFor(async () => (await keptLists(page)).some((l) => l.id.endsWith(':followups-due')), 'the follow-ups kept');
  await page.goto(`${live.base}/handovers?which=pending`);
  await waitFor(async () => (await keptLists(page)).some((l) => l.id.endsWith(':handovers-pending')), 'the hand-overs kept');
  // Kept without the page's forms and tokens.
  const kept = await keptLists(page);
  assert.ok(kept.every((l) => !/csrf_token|<form/.test(l.html)), JSON.stringify(kept.map((l) => l.html.slice(0, 200))));
  // Lists kept 4 hours ago are past the 3 hours set; 2 hours ago, not yet.
  await keepOld(page, '四小时前的清单', 4);
  await keepOld(page, '两小时前的清单', 2);

  // No signal: a page not kept shows the lists as of the last sync.
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('text=当前无网络');
  await page.waitForSelector('#worklists h2:has-text("今天要随访")');
  await page.waitForSelector('#worklists h2:has-text("待接收的落地交接")');
  const shown = await page.textContent('#worklists');
  assert.match(shown, /数据同步于 \d\d:\d\d/);
  assert.ok(shown.includes(person), 'the person due, as shown on screen');
  assert.ok(shown.includes('两小时前的清单'));
  assert.ok(!shown.includes('四小时前的清单'), 'deleted after the hours set');
  assert.ok(!(await keptLists(page)).some((l) => l.title === '四小时前的清单'));
  await page.screenshot({ path: join(shots, '74-offline-worklists.png'), fullPage: true });
  // Nothing personal in the service worker's cache.
  assert.ok(!(await cachedText(page)).includes(person), 'the lists are not in Cache Storage');

  // Logging out deletes them.
  await context.setOffline(false);
  await page.goto(`${live.base}/`);
  await Promise.all([page.waitForURL(/\/login/), page.click('form[action="/logout"] button')]);
  assert.deepEqual(await keptLists(page), []);
  assert.ok(!(await cachedText(page)).includes(person));
  assert.ok(!(await page.evaluate(() => caches.has('dt-forms'))), 'no page kept');
  await context.close();
});
