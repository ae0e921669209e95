// The prevention chain on phones: a checkpoint worker registers a passage whose traveller is
// bound for a grid of 格尔木; the hand-over arrives at the grid, whose worker acknowledges it
// with home quarantine, records two follow-ups and releases the case; the county leader's
// command page counts each step. Real binary, real SQLite file, Debian's headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';


const live = liveDemo();

const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };

/** The leader's command figures of the moment, read off /prevention. */
async function commandFigures(page) {
  await page.goto(`${live.base}/prevention`);
  const n = async (id) => Number((await page.textContent(`#${id}`)).trim());
  return {
    persons: await n('now-persons'),
    pending: await n('now-handovers-pending'),
    under: await n('now-under'),
    released: await n('now-released'),
  };
}

test('a passage at the barrier is handed over to the grid, acknowledged, followed up twice and released', async () => {
  const { context: leaderCtx, page: leader } = await live.loggedIn('golmud_leader', phone);
  const f0 = await commandFigures(leader);

  // The checkpoint worker registers one traveller bound for 博爱巷第一网格.
  const { context: workerCtx, page: worker } = await live.loggedIn('checkpoint_worker', phone);
  await worker.goto(`${live.base}/checkpoints`);
  await worker.click('td a:text-is("格尔木南出口")');
  await worker.click('a.button:has-text("登记通行")');
  await worker.fill('input[name=plate]', '青H·52013');
  await worker.check('input[name=vehicle_class][value=car]');
  await worker.fill('input[name=origin]', '青海省西宁市');
  await worker.fill('input[name=travel_history]', '西宁市城北区');
  await worker.fill('input[name=destination]', '632801001001001');
  await worker.fill('input[name=reason]', '返岗复工');
  const row = worker.locator('fieldset.traveller').first();
  await row.locator('input[name=name]').fill('马建新');
  await row.locator('input[name=id_number]').fill('632801198503150031');
  await row.locator('input[name=phone]').fill('13897123456');
  await row.locator('input[name=temperature]').fill('36.6');
  await row.locator('input[value=through]').check();
  await worker.screenshot({ path: join(shots, '20-passage-form.png'), fullPage: true });
  await worker.click('button[type=submit]:has-text("提交登记")');
  await worker.waitForSelector('text=已推送目的地落地交接 1 人');
  await worker.screenshot({ path: join(shots, '21-passage-done.png'), fullPage: true });

  const f1 = await commandFigures(leader);
  assert.equal(f1.persons, f0.persons + 1, 'today\'s passages count the traveller');
  assert.equal(f1.pending, f0.pending + 1, 'the hand-over waits');

  // The grid worker finds it waiting and acknowledges it with home quarantine.
  const { context: gridCtx, page: grid } = await live.loggedIn('grid_worker', phone);
  await grid.goto(`${live.base}/handovers`);
  await grid.screenshot({ path: join(shots, '22-handovers.png'), fullPage: true });
  await grid.click('#handover-list a:has-text("马建新")');
  assert.match(await grid.textContent('#handover-status'), /待接收/);
  assert.match(await grid.textContent('main'), /632801\*+0031/);
  await grid.check('input[name=measure][value=home]');
  await grid.fill('input[name=place]', '博爱巷 8 号');
  await grid.fill('input[name=note]', '已电话联系，人已到家');
  await grid.screenshot({ path: join(shots, '23-handover.png'), fullPage: true });
  await grid.click('button:has-text("确认接收")');
  await grid.waitForURL(/\/monitoring\/cases\/\d+\?done=created/);
  const caseUrl = grid.url().replace(/\?.*$/, '');

  const f2 = await commandFigures(leader);
  assert.equal(f2.pending, f0.pending, 'no longer waiting');
  assert.equal(f2.under, f0.under + 1, 'one more under monitoring');

  // Two follow-ups, then release.
  // The form goes through the phone's outbox, which opens the case again once the server
  // has the follow-up: the page to wait for is the next one, not a URL the first already had.
  for (const t of ['36.5', '36.7']) {
    await grid.fill('input[name=temperature]', t);
    await Promise.all([grid.waitForNavigation(), grid.click('button:has-text("提交随访")')]);
    await grid.waitForURL(/done=followup/);
  }
  assert.match(await grid.textContent('main'), /随访记录（2）/);
  await grid.screenshot({ path: join(shots, '24-case.png'), fullPage: true });
  await grid.fill('#release input[name=reason]', '经医生评估提前解除');
  await grid.click('#release button');
  await grid.waitForURL(/done=release/);
  assert.match(await grid.textContent('h1'), /已解除/);
  assert.equal(grid.url().replace(/\?.*$/, ''), caseUrl);

  const f3 = await commandFigures(leader);
  assert.equal(f3.under, f0.under, 'released: back to where it was');
  assert.equal(f3.released, f0.released + 1, 'released today');
  await leader.screenshot({ path: join(shots, '25-command.png'), fullPage: true });

  // The checkpoint's worker sees the hand-over acknowledged, not the case.
  await worker.goto(`${live.base}/handovers?which=sent`);
  assert.match(await worker.textContent('#handover-list'), /马建新[\s\S]*已接收/);
  const r = await worker.goto(caseUrl);
  assert.equal(r.status(), 403);
  await Promise.all([leaderCtx.close(), workerCtx.close(), gridCtx.close()]);
});
