// A store's page and a hand-over's open with no signal: opened once with signal, the phone
// keeps a copy of each without anyone's data (the hand-over's person comes from the waiting
// list the phone holds); offline, reloaded, the page opens, a stock issue or an
// acknowledgement made on it waits in the outbox and arrives once the signal is back. Real
// binary, real SQLite file, Debian's headless Chromium with network emulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';
import { outbox, waitFor, pendingShown } from './outbox_helpers.mjs';

const live = liveDemo();

const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };

/** An API answer asked as the page (its session). */
async function api(page, path) {
  return page.evaluate(async (p) => (await fetch(p, { cache: 'no-store' })).json(), path);
}

/** The text of the copy the phone keeps of `path`, or null. */
async function keptText(page, path) {
  return page.evaluate(async (p) => {
    const hit = await caches.match(p);
    return hit ? hit.text() : null;
  }, path);
}

/** After a sync, no more POSTs go out on 立即同步. */
async function nothingMoreSent(page) {
  const posts = [];
  const seen = (r) => { if (r.method() === 'POST') posts.push(r.url()); };
  page.on('request', seen);
  await page.click('#outbox-sync');
  await page.waitForTimeout(1000);
  page.off('request', seen);
  assert.deepEqual(posts, []);
}

test('a store\'s page opens with no signal; an issue made on it arrives once', async () => {
  const { context, page } = await live.loggedIn('golmud_operator', phone);
  await page.goto(`${live.base}/supplies`);
  const stores = await api(page, '/api/v1/supplies/stores');
  const store = (Array.isArray(stores) ? stores : stores.items).find((s) => s.kind === 'county');
  const path = `/supplies/stores/${store.id}`;
  await page.goto(`${live.base}${path}`);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await page.waitForSelector('#move-form');
  const kept = await waitFor(() => keptText(page, path), 'the store\'s page kept');
  // The copy kept has the form and no one's name: no list of movements.
  assert.match(kept, /id="move-form"/);
  assert.doesNotMatch(kept, /最近出入库|登记人/);
  await page.screenshot({ path: join(shots, '90-store-online.png'), fullPage: true });

  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('#move-form');
  assert.ok(await page.isVisible('#kept-note'));
  // The day shown is today by the server's clock (the demo's day), as the phone last knew it.
  const day = page.locator('#move-form input[name=moved_on]');
  assert.equal(await day.inputValue(), await day.getAttribute('data-phone-day'));
  const counterparty = `离线发放测试 ${Date.now()}`;
  await page.selectOption('#move-form select[name=kind]', 'issue');
  await page.fill('#move-form input[name=quantity]', '2');
  await page.fill('#move-form input[name=counterparty]', counterparty);
  await page.click('#move-form button[type=submit]');
  await pendingShown(page, 1);
  await page.screenshot({ path: join(shots, '91-store-offline.png'), fullPage: true });
  await page.locator('#move').screenshot({ path: join(shots, '91-store-offline-form.png') });

  await context.setOffline(false);
  await waitFor(async () => (await outbox(page)).pending === 0, 'the outbox sent');
  assert.deepEqual(await outbox(page), { pending: 0, sent: 1, refused: 0 });
  const moved = async () => {
    const j = await api(page, `/api/v1/supplies/stores/${store.id}/movements`);
    return (Array.isArray(j) ? j : j.items).filter((m) => m.counterparty === counterparty);
  };
  const arrived = await moved();
  assert.equal(arrived.length, 1, 'the issue arrives');
  await nothingMoreSent(page);
  assert.equal((await moved()).length, 1, 'nothing written twice');
  await context.close();
});

test('a hand-over waiting opens with no signal, its person from the list kept; the acknowledgement arrives', async () => {
  const { context, page } = await live.loggedIn('grid_worker', phone);
  await page.goto(`${live.base}/handovers`);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  const link = page.locator('#handover-list li.handover a').first();
  const path = await link.getAttribute('href');
  const shown = (await page.locator('#handover-list li.handover').first().innerText()).split('\n')[0];
  // The list links to it: its copy is kept without the person.
  const kept = await waitFor(() => keptText(page, path), 'the hand-over\'s page kept');
  assert.match(kept, /id="ack-form"/);
  assert.doesNotMatch(kept, /身份证号|\*\*\*\*/);
  assert.ok(!kept.includes(shown.trim().split(/\s+/)[0]), 'no name in the copy kept');

  await context.setOffline(true);
  await page.goto(`${live.base}${path}`);
  await page.waitForSelector('#ack-form');
  await page.waitForSelector('#kept-handover .synced');
  const person = await page.textContent('#kept-handover');
  assert.ok(person.includes(shown.trim().split(/\s+/)[0]), `${person} / ${shown}`);
  assert.match(person, /数据同步于/);
  await page.screenshot({ path: join(shots, '92-handover-offline.png'), fullPage: true });
  const note = `离线接收测试 ${Date.now()}`;
  const none = page.locator('#ack-form input[name=measure][value=none]');
  if (await none.count()) await none.check();
  await page.fill('#ack-form input[name=note]', note);
  await page.click('#ack-form button[type=submit]');
  await pendingShown(page, 1);

  await context.setOffline(false);
  await waitFor(async () => (await outbox(page)).pending === 0, 'the outbox sent');
  assert.deepEqual(await outbox(page), { pending: 0, sent: 1, refused: 0 });
  const id = Number(path.split('/')[2]);
  const h = (await api(page, `/api/v1/handovers/${id}`)).handover;
  assert.equal(h.status, 'acknowledged');
  assert.equal(h.note, note);
  await nothingMoreSent(page);
  await page.goto(`${live.base}${path}`);
  await page.screenshot({ path: join(shots, '93-handover-online.png'), fullPage: true });
  await context.close();
});
