// Phone forms with no signal: the checkpoint worker opens the passage form, loses signal,
// reloads it (it still opens, from the service worker), registers 20 passages, one with a
// bad ID number; with signal again the 19 good ones arrive exactly once, a second sync sends
// nothing more, the bad one waits in 待处理 with the server's message, is corrected and
// arrives. Real binary, real SQLite file, Debian's headless Chromium with network emulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';
import { outbox, waitFor } from './outbox_helpers.mjs';

const live = liveDemo();

const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };
const REASON = '离线补录测试';
const GOOD_ID = '632801198503150031';
const BAD_ID = '632801198503150032';

/** Passages of the checkpoint with the test's reason, counted through the API (as the page). */
async function arrived(page, checkpoint) {
  return page.evaluate(async ([cp, reason]) => {
    // The server's day (China Standard Time), every page of it.
    const now = (await (await fetch('/outbox/session', { cache: 'no-store' })).json()).now;
    const day = new Date(Date.parse(now) + 8 * 3600 * 1000).toISOString().slice(0, 10);
    let n = 0;
    for (let p = 1; p <= 40; p++) {
      const r = await fetch(`/api/v1/checkpoints/${cp}/passages?date=${day}&page=${p}`, { cache: 'no-store' });
      const list = await r.json();
      n += list.filter((x) => x.reason === reason).length;
      if (list.length < 50) break;
    }
    return n;
  }, [checkpoint, REASON]);
}

test('twenty passages registered with no signal arrive once each; the refused one is corrected', async () => {
  const { context, page } = await live.loggedIn('checkpoint_worker', phone);
  await page.goto(`${live.base}/checkpoints`);
  await page.click('td a:text-is("格尔木南出口")');
  await page.click('a.button:has-text("登记通行")');
  await page.waitForSelector('#passage-form');
  const formUrl = page.url();
  const checkpoint = Number(new URL(formUrl).pathname.split('/')[2]);
  // The service worker takes the page and keeps the form.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await waitFor(() => page.evaluate(async (p) => !!(await caches.match(p)), new URL(formUrl).pathname), 'the form kept');
  const before = await arrived(page, checkpoint);

  // No signal: the form still opens.
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('#passage-form');
  await page.waitForSelector('#outbox');
  await page.screenshot({ path: join(shots, '60-offline-passage-form.png'), fullPage: true });
  // A page not kept: the page for no signal, with the checkpoint's shifts as of the last
  // visit and the way back to the kept form.
  await page.goto(`${live.base}/checkpoints/${checkpoint}`);
  await page.waitForSelector('text=当前无网络');
  await page.waitForSelector('#worklists h2:has-text("当日班次")');
  assert.match(await page.textContent('#worklists'), /数据同步于 \d\d:\d\d/);
  await page.screenshot({ path: join(shots, '63-offline-page.png'), fullPage: true });
  await page.click('#offline-forms a:has-text("打开通行登记")');
  await page.waitForSelector('#passage-form');

  for (let k = 1; k <= 20; k++) {
    await page.fill('input[name=plate]', `青H7${String(k).padStart(4, '0')}`);
    await page.check('input[name=vehicle_class][value=car]');
    await page.fill('input[name=origin]', '青海省西宁市');
    await page.fill('input[name=destination]', '西藏自治区拉萨市');
    await page.fill('input[name=reason]', REASON);
    const row = page.locator('fieldset.traveller').first();
    await row.locator('input[name=name]').fill('马建新');
    await row.locator('input[name=id_number]').fill(k === 7 ? BAD_ID : GOOD_ID);
    await row.locator('input[name=temperature]').fill('36.6');
    await row.locator('input[value=through]').check();
    await page.click('button[type=submit]:has-text("提交登记")');
    await page.waitForFunction((n) => {
      const el = document.querySelector('#outbox .count.pending');
      return el && el.textContent.includes(`待发送 ${n}`);
    }, k);
  }
  assert.deepEqual(await outbox(page), { pending: 20, sent: 0, refused: 0 });
  await page.screenshot({ path: join(shots, '61-offline-outbox.png'), fullPage: true });

  // Signal again: sent on reconnecting.
  await context.setOffline(false);
  await waitFor(async () => (await outbox(page)).pending === 0, 'the outbox sent');
  assert.deepEqual(await outbox(page), { pending: 0, sent: 19, refused: 1 });
  assert.equal(await arrived(page, checkpoint), before + 19, 'the 19 good ones arrive');

  // A second sync sends nothing more.
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
  await page.click('#outbox-sync');
  await page.waitForTimeout(1000);
  assert.deepEqual(posts, []);
  assert.equal(await arrived(page, checkpoint), before + 19, 'nothing written twice');

  // The refused one waits with the server's message.
  const waiting = page.locator('#outbox .outbox-list.refused li');
  assert.equal(await waiting.count(), 1);
  const message = await waiting.locator('p.error').textContent();
  assert.match(message, /身份证/);
  await page.screenshot({ path: join(shots, '62-outbox-refused.png'), fullPage: true });

  // Corrected on its form, prefilled, and sent.
  await waiting.locator('button:has-text("修改")').click();
  await page.waitForSelector('#passage-form[data-replaces]');
  const row = page.locator('fieldset.traveller').first();
  assert.equal(await row.locator('input[name=id_number]').inputValue(), BAD_ID);
  assert.equal(await page.inputValue('input[name=plate]'), '青H70007');
  await row.locator('input[name=id_number]').fill(GOOD_ID);
  await page.click('button[type=submit]:has-text("提交登记")');
  await page.waitForURL(/passage\?done=\d+/);
  assert.equal(await arrived(page, checkpoint), before + 20, 'the corrected one arrives');
  const left = await outbox(page);
  assert.equal(left.pending + left.refused, 0, JSON.stringify(left));
  await context.close();
});
