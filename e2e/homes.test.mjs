// Every demo account's home on a phone (390×844): today's work comes first and the page is
// short enough to take in (secondary sections folded), on the demo's evening. Each home is
// screenshotted (screenshots/home-phone-<account>.png) and its height written to
// screenshots/home-heights.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accounts, shots, liveDemo } from './server.mjs';

const live = liveDemo();

/** The height a home may have on a phone at first view, in CSS pixels. */
const MOST = 2500;

test('every account\'s home fits a phone, its work of the day first', async () => {
  assert.ok(accounts.length >= 10, `accounts read: ${accounts}`);
  const heights = {};
  const problems = [];
  for (const username of accounts) {
    const { context, page } = await live.loggedIn(username, { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
    await page.screenshot({ path: join(shots, `home-phone-${username}.png`), fullPage: true });
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    heights[username] = height;
    if (height > MOST) problems.push(`${username}: ${height} px`);
    // The day's work is the first thing under the title.
    const first = await page.evaluate(() => {
      const main = document.querySelector('main') || document.body;
      const s = [...main.querySelectorAll('section')].find((x) => x.offsetHeight > 0);
      return s ? s.id || s.className : '';
    });
    if (!['today', 'dashboard-summary'].includes(first)) problems.push(`${username}: first section ${first}`);
    await context.close();
  }
  writeFileSync(join(shots, 'home-heights.json'), JSON.stringify(heights, null, 2));
  console.log(JSON.stringify(heights));
  assert.deepEqual(problems, [], problems.join('\n'));
});
