// Whistle and report-back on phones, with a drill clock the test moves: a grid worker blows
// the whistle on an emergency, nobody reports within the 30 minutes, the scheduler escalates
// it up to the township; the county health commission's responder then reports and resolves
// it, the grid worker confirms it with five stars, and the leader's figures count it. Real
// binary, real SQLite file, Debian's headless Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';

const clockDir = mkdtempSync(join(tmpdir(), 'dualtrack-clock-'));
const clockFile = join(clockDir, 'now.txt');

/** Sets the drill clock (China Standard Time). */
function setClock(local) {
  writeFileSync(clockFile, `${local}+08:00\n`);
}

setClock('2020-03-13T10:00:00');
const live = liveDemo(['--clock-file', clockFile]);

after(() => {
  rmSync(clockDir, { recursive: true, force: true });
});

const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };

/** Reloads `url` until `check(page)` holds (the drill clock is read every 200 ms). */
async function until(page, url, check, what) {
  for (let i = 0; i < 60; i++) {
    await page.goto(url);
    if (await check(page)) return;
    await page.waitForTimeout(500);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function figures(page) {
  await page.goto(`${live.base}/whistle/figures?from=2020-03-13&to=2020-03-13`);
  const n = async (id) => Number((await page.textContent(`#${id}`)).trim());
  return { tickets: await n('fig-tickets'), closed: await n('fig-closed'), escalated: await n('fig-escalated') };
}

test('an emergency whistle escalates when nobody reports, then is accepted, resolved and confirmed', async () => {
  const { context: leaderCtx, page: leader } = await live.loggedIn('golmud_leader', phone);
  const f0 = await figures(leader);

  // The grid worker blows the whistle from the phone.
  const { context: gridCtx, page: grid } = await live.loggedIn('grid_worker', phone);
  await grid.click('#nav-whistle');
  await grid.click('#raise');
  await grid.check('input[name=kind][value=emergency]');
  await grid.selectOption('select[name=category]', 'epidemic');
  await grid.fill('textarea[name=description]', '博爱巷 12 号返乡人员发热 38.2 ℃，拒绝就医，需卫健部门立即到场转运');
  await grid.fill('input[name=address]', '博爱巷 12 号');
  await grid.screenshot({ path: join(shots, 'whistle-1-raise.png'), fullPage: true });
  await grid.click('#raise-form button[type=submit]');
  await grid.waitForURL(/\/tickets\/\d+\?done=raised$/);
  const ticketUrl = grid.url().replace(/\?.*$/, '');
  assert.equal((await grid.textContent('#ticket-status')).trim(), '待报到');
  assert.match(await grid.textContent('#calls'), /格尔木市卫健委/);
  await grid.screenshot({ path: join(shots, 'whistle-2-raised.png'), fullPage: true });

  // Sixty-one minutes on, nobody has reported: the village, then the township supervise it.
  setClock('2020-03-13T11:01:00');
  await until(grid, ticketUrl, async (p) => (await p.locator('#escalations li').count()) >= 2, 'escalation to the township');
  const ladder = await grid.textContent('#escalations');
  assert.match(ladder, /第 1 级 → .*632801001001）/);
  assert.match(ladder, /第 2 级 → .*632801001）/);
  assert.match(ladder, /超时未报到/);
  assert.match(await grid.textContent('#ticket-level'), /\S/);
  assert.match(await grid.textContent('#timeline'), /升级督办/);
  await grid.screenshot({ path: join(shots, 'whistle-3-escalated.png'), fullPage: true });

  // The county health commission's responder finds it in the inbox, reports and resolves it.
  setClock('2020-03-13T11:05:00');
  const { context: healthCtx, page: health } = await live.loggedIn('golmud_health', phone);
  await health.goto(`${live.base}/inbox`);
  assert.match(await health.textContent('main'), /督办/);
  await health.screenshot({ path: join(shots, 'whistle-4-inbox.png'), fullPage: true });
  await health.goto(ticketUrl);
  await health.click('#accept-form button[type=submit]');
  await health.waitForURL(/done=accept/);
  assert.equal((await health.textContent('#ticket-status')).trim(), '处置中');
  setClock('2020-03-13T12:30:00');
  await until(health, ticketUrl, async (p) => (await p.locator('#resolve-form').count()) === 1, 'the resolve form');
  await health.fill('#resolve-form textarea[name=resolution]', '已派 120 转运至格尔木市人民医院发热门诊，密接 3 人居家隔离');
  await health.screenshot({ path: join(shots, 'whistle-5-resolve.png'), fullPage: true });
  await health.click('#resolve-form button[type=submit]');
  await health.waitForURL(/done=resolve/);
  assert.equal((await health.textContent('#ticket-status')).trim(), '待确认');

  // The grid worker confirms with five stars.
  await grid.goto(ticketUrl);
  await grid.check('#confirm-form input[name=rating][value="5"]');
  await grid.fill('#confirm-form input[name=feedback]', '到场及时');
  await grid.click('#confirm-form button[type=submit]');
  await grid.waitForURL(/done=confirm/);
  assert.equal((await grid.textContent('#ticket-status')).trim(), '已办结');
  await grid.screenshot({ path: join(shots, 'whistle-6-closed.png'), fullPage: true });

  // The leader's figures count it: one more ticket, closed, escalated.
  const f1 = await figures(leader);
  assert.equal(f1.tickets, f0.tickets + 1);
  assert.equal(f1.closed, f0.closed + 1);
  assert.equal(f1.escalated, f0.escalated + 1);
  await leader.screenshot({ path: join(shots, 'whistle-7-figures.png'), fullPage: true });
  await leaderCtx.close();
  await gridCtx.close();
  await healthCtx.close();
});
