// The outbox beyond the checkpoint: the grid worker records a follow-up with no signal and it
// arrives exactly once when the signal is back (a second sync sends nothing); the liaison
// files a daily report with no signal with one figure wrong, it waits in 待处理 with the
// server's message, is corrected on its form and arrives. Real binary, real SQLite file,
// Debian's headless Chromium with network emulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';
import { outbox, waitFor, pendingShown, keptReportForm } from './outbox_helpers.mjs';

const live = liveDemo();

const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };

/** How many records of a list API answer carry `value` in `field` (asked as the page). */
async function onServer(page, path, field, value) {
  return page.evaluate(async ([p, f, v]) => {
    const list = await (await fetch(p, { cache: 'no-store' })).json();
    return list.filter((x) => x[f] === v).length;
  }, [path, field, value]);
}

test('a follow-up recorded with no signal arrives once; a second sync sends nothing', async () => {
  const { context, page } = await live.loggedIn('grid_worker', phone);
  await page.goto(`${live.base}/monitoring/due`);
  await page.click('a.due-item');
  await page.waitForSelector('#followup-form');
  const caseId = Number(new URL(page.url()).pathname.split('/')[3]);
  const api = `/api/v1/monitoring/cases/${caseId}/followups`;
  await page.evaluate(() => navigator.serviceWorker.ready);
  const note = `离线随访测试 ${Date.now()}`;

  // No signal: the record waits on the phone.
  await context.setOffline(true);
  await page.fill('#followup-form input[name=temperature]', '36.6');
  await page.fill('#followup-form input[name=note]', note);
  await page.click('#followup-form button[type=submit]');
  await pendingShown(page, 1);
  assert.deepEqual(await outbox(page), { pending: 1, sent: 0, refused: 0 });
  await page.screenshot({ path: join(shots, '64-offline-followup.png'), fullPage: true });

  // Signal again: sent on reconnecting, once.
  await context.setOffline(false);
  await waitFor(async () => (await outbox(page)).pending === 0, 'the outbox sent');
  assert.deepEqual(await outbox(page), { pending: 0, sent: 1, refused: 0 });
  assert.equal(await onServer(page, api, 'note', note), 1, 'the follow-up arrives');

  // A second sync sends nothing more.
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
  await page.click('#outbox-sync');
  await page.waitForTimeout(1000);
  assert.deepEqual(posts, []);
  assert.equal(await onServer(page, api, 'note', note), 1, 'nothing written twice');
  await context.close();
});

test('a daily report filed with no signal and a wrong figure is refused, corrected and arrives', async () => {
  const { context, page } = await live.loggedIn('liaison', phone);
  const { api } = await keptReportForm(live, page, 0);
  const problems = `离线日报测试 ${Date.now()}`;
  // One more on duty than the last report the form starts from: nothing odd about it.
  const onDuty = String(Number(await page.inputValue('#report-form input[name=on_duty]')) + 1);

  // No signal: the page still opens, and the report waits on the phone.
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('#report-form');
  await page.fill('#report-form input[name=on_duty]', onDuty);
  await page.fill('#report-form input[name=checks_passed]', '7');
  await page.fill('#report-form input[name=problems]', problems);
  await page.click('#report-form button[type=submit]');
  await pendingShown(page, 1);
  await page.screenshot({ path: join(shots, '65-offline-report.png'), fullPage: true });

  // Signal again: refused, waiting with the server's message.
  await context.setOffline(false);
  await waitFor(async () => (await outbox(page)).pending === 0, 'the outbox sent');
  assert.deepEqual(await outbox(page), { pending: 0, sent: 0, refused: 1 });
  assert.equal(await onServer(page, api, 'problems', problems), 0);
  const waiting = page.locator('#outbox .outbox-list.refused li');
  assert.equal(await waiting.count(), 1);
  assert.match(await waiting.locator('p.error').textContent(), /五个到位/);
  await page.screenshot({ path: join(shots, '66-report-refused.png'), fullPage: true });

  // Corrected on its form, prefilled, and sent.
  await waiting.locator('button:has-text("修改")').click();
  await page.waitForSelector('#report-form[data-replaces]');
  assert.equal(await page.inputValue('#report-form input[name=checks_passed]'), '7');
  assert.equal(await page.inputValue('#report-form input[name=on_duty]'), onDuty);
  await page.fill('#report-form input[name=checks_passed]', '5');
  await page.click('#report-form button[type=submit]');
  await page.waitForURL(/done=filed/);
  assert.equal(await onServer(page, api, 'problems', problems), 1, 'the corrected one arrives');
  const left = await outbox(page);
  assert.equal(left.pending + left.refused, 0, JSON.stringify(left));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(shots, '67-report-filed-desktop.png'), fullPage: true });
  await context.close();
});

test('a daily report with odd figures sent from the outbox is asked about, confirmed on its form and arrives once', async () => {
  const { context, page } = await live.loggedIn('liaison', phone);
  const { api } = await keptReportForm(live, page, 1);
  const problems = `离线异常日报测试 ${Date.now()}`;

  // No signal: more on duty than the enterprise employs, kept on the phone.
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('#report-form');
  await page.fill('#report-form input[name=on_duty]', '999999');
  await page.fill('#report-form input[name=problems]', problems);
  await page.click('#report-form button[type=submit]');
  await pendingShown(page, 1);

  // Signal again: the server asks about the figure; the record waits with the doubt, is not
  // sent again by itself, and nothing is filed.
  await context.setOffline(false);
  await waitFor(async () => (await outbox(page)).pending === 0, 'the outbox sent');
  assert.deepEqual(await outbox(page), { pending: 0, sent: 0, refused: 1 });
  const waiting = page.locator('#outbox .outbox-list.refused li');
  assert.match(await waiting.locator('p.error').textContent(), /多于登记的正常用工/);
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
  await page.click('#outbox-sync');
  await page.waitForTimeout(1000);
  assert.deepEqual(posts, [], 'a refused record is not sent again by itself');
  assert.equal(await onServer(page, api, 'problems', problems), 0);
  await page.screenshot({ path: join(shots, '68-report-doubt-waiting.png'), fullPage: true });

  // On its form: the doubt listed, the figure kept, the confirmation asked for.
  await waiting.locator('button:has-text("修改")').click();
  await page.waitForSelector('#report-form[data-replaces]');
  await page.waitForSelector('#doubts');
  assert.match(await page.textContent('#doubts'), /多于登记的正常用工/);
  assert.equal(await page.inputValue('#report-form input[name=on_duty]'), '999999');
  assert.notEqual(await page.getAttribute('#report-form input[name=confirm_implausible]', 'required'), null);
  await page.screenshot({ path: join(shots, '69-report-doubt-form.png'), fullPage: true });
  await page.check('#report-form input[name=confirm_implausible]');
  await Promise.all([page.waitForNavigation(), page.click('#report-form button[type=submit]')]);
  await page.waitForURL(/done=filed/);
  assert.equal(await onServer(page, api, 'problems', problems), 1, 'it arrives once');
  const list = await page.evaluate(async (p) => (await (await fetch(p, { cache: 'no-store' })).json()), api);
  const filed = list.find((r) => r.problems === problems);
  assert.equal(filed.confirmed_implausible, true);
  assert.equal(filed.on_duty, 999999);
  const left = await outbox(page);
  assert.equal(left.pending + left.refused, 0, JSON.stringify(left));
  assert.match(await page.textContent('main'), /经确认的异常数/);
  await context.close();
});

test('a grid\'s zero report recorded with no signal waits through a reload and arrives once', async () => {
  const { context, page } = await live.loggedIn('grid_worker', phone);
  const grid = '632801001001001';
  // A day before the demo's story: nothing recorded, no report yet, so the form offers the
  // zero report.
  const day = '2020-01-20';
  const api = `/api/v1/grids/${grid}/reports`;
  await page.goto(`${live.base}/grids/${grid}?date=${day}`);
  await page.waitForSelector('#grid-report-form button[name=zero_report]');
  await page.evaluate(() => navigator.serviceWorker.ready);
  const remarks = `离线零报告测试 ${Date.now()}`;

  // No signal: the report waits on the phone, and still waits after a reload (the grid's
  // page is not kept: the reload shows the offline page, with the outbox).
  await context.setOffline(true);
  await page.fill('#grid-report-form textarea[name=remarks]', remarks);
  await page.click('#grid-report-form button[type=submit]');
  await pendingShown(page, 1);
  await page.screenshot({ path: join(shots, '70-offline-zero-report.png'), fullPage: true });
  await page.reload();
  await pendingShown(page, 1);
  assert.deepEqual(await outbox(page), { pending: 1, sent: 0, refused: 0 });
  // Were it refused, it would be corrected on the grid's page of that day.
  const kept = await page.evaluate(async () => (await window.dtOutbox.all()).map((r) => r.page));
  assert.deepEqual(kept, [`/grids/${grid}?date=${day}`]);

  // Signal again: sent once, a zero report of that day, dated by the phone.
  await context.setOffline(false);
  await waitFor(async () => (await outbox(page)).pending === 0, 'the outbox sent');
  assert.deepEqual(await outbox(page), { pending: 0, sent: 1, refused: 0 });
  assert.equal(await onServer(page, api, 'remarks', remarks), 1, 'the report arrives');
  const list = await page.evaluate(async (p) => (await (await fetch(p, { cache: 'no-store' })).json()), api);
  const filed = list.find((r) => r.remarks === remarks);
  assert.equal(filed.report_date, day);
  assert.equal(filed.zero_report, true);

  // A second sync sends nothing more.
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
  await page.click('#outbox-sync');
  await page.waitForTimeout(1000);
  assert.deepEqual(posts, []);
  assert.equal(await onServer(page, api, 'remarks', remarks), 1, 'nothing written twice');
  await page.goto(`${live.base}/grids/${grid}?date=${day}`);
  assert.match(await page.textContent('#filed'), /已报送（零报告）/);
  await context.close();
});

/** Goes offline, submits `form` as filled by `fill`, reloads (the page is not kept on the
 *  phone: the offline page shows the outbox), then back online until it is sent. */
async function offlineReloadOnline(context, page, form, fill, shot, queued = async () => {}) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await context.setOffline(true);
  await fill();
  await page.click(`${form} button[type=submit]`);
  await pendingShown(page, 1);
  await queued();
  await page.screenshot({ path: join(shots, shot), fullPage: true });
  await page.reload();
  await pendingShown(page, 1);
  assert.deepEqual(await outbox(page), { pending: 1, sent: 0, refused: 0 });
  await context.setOffline(false);
  await waitFor(async () => (await outbox(page)).pending === 0, 'the outbox sent');
  const said = await page.evaluate(async () => (await window.dtOutbox.all()).map((r) => r.message || ''));
  assert.deepEqual(await outbox(page), { pending: 0, sent: 1, refused: 0 }, JSON.stringify(said));
  // A second sync sends nothing more.
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(r.url()); });
  await page.click('#outbox-sync');
  await page.waitForTimeout(1000);
  assert.deepEqual(posts, []);
}

test('a person screened with no signal waits through a reload and arrives once', async () => {
  const { context, page } = await live.loggedIn('grid_worker', phone);
  const grid = '632801001001001';
  await page.goto(`${live.base}/grids/${grid}`);
  await page.waitForSelector('#screen-form');
  const name = `离线摸${String(Date.now()).slice(-4)}`;
  const api = `/api/v1/screened-persons?code=${grid}`;
  await offlineReloadOnline(context, page, '#screen-form', async () => {
    await page.selectOption('#screen-form select[name=household_id]', { index: 1 });
    await page.fill('#screen-form input[name=name]', name);
    await page.fill('#screen-form input[name=id_number]', '632801198503150031');
    // The day the form offers: the server's today.
    await page.selectOption('#screen-form select[name=kind]', 'resident');
  }, '71-offline-screening.png');
  assert.equal(await onServer(page, api, 'name', name), 1, 'the person arrives once');
  // The line kept on the phone names no one.
  const lines = await page.evaluate(async () => (await window.dtOutbox.all()).map((r) => r.summary + JSON.stringify(r.body || {})));
  assert.ok(lines.every((l) => !l.includes('离线摸')), JSON.stringify(lines));
  await context.close();
});

test('a hand-over acknowledged with no signal waits through a reload and arrives once', async () => {
  // The checkpoint worker sends a traveller to the grid.
  const { context: wctx, page: worker } = await live.loggedIn('checkpoint_worker', phone);
  await worker.goto(`${live.base}/checkpoints`);
  await worker.click('td a:text-is("格尔木南出口")');
  const cp = Number(new URL(worker.url()).pathname.split('/')[2]);
  const handover = await worker.evaluate(async (cpId) => {
    const s = await (await fetch('/outbox/session', { cache: 'no-store' })).json();
    const r = await fetch(`/api/v1/checkpoints/${cpId}/passages`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
      body: JSON.stringify({ plate: '青H23456', vehicle_class: 'car', origin: '青海省西宁市',
        travel_history: '西宁市城东区', destination: '632801001001001', reason: '返岗复工',
        travellers: [{ name: '韩建国', id_number: '632801198001010039', temperature: '36.4', outcome: 'through' }] }),
    });
    return (await r.json()).travellers[0].handover_id;
  }, cp);
  assert.ok(handover, 'a hand-over is made');
  await wctx.close();

  const { context, page } = await live.loggedIn('grid_worker', phone);
  await page.goto(`${live.base}/handovers/${handover}`);
  await page.waitForSelector('#ack-form');
  const note = `离线接收测试 ${Date.now()}`;
  await offlineReloadOnline(context, page, '#ack-form', async () => {
    await page.fill('#ack-form input[name=note]', note);
  }, '72-offline-acknowledge.png', async () => {
    // Not offered twice.
    assert.equal(await page.isHidden('#ack-form'), true);
  });
  const d = await page.evaluate(async (id) => (await (await fetch(`/api/v1/handovers/${id}`, { cache: 'no-store' })).json()), handover);
  assert.equal(d.handover.status, 'acknowledged');
  assert.equal(await onServer(page, '/api/v1/handovers?which=acknowledged', 'id', handover), 1, 'acknowledged once');
  await page.goto(`${live.base}/handovers/${handover}`);
  assert.match(await page.textContent('#history'), /接收/);
  await page.screenshot({ path: join(shots, '73-acknowledged.png'), fullPage: true });
  await context.close();
});
