// The first minutes of every demo account, on a phone and on a desktop: its home and every
// page its home links to open without a console error, without a failed request, and with no
// English words on the page beyond the few a Chinese user reads as they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { accounts, shots, liveDemo } from './server.mjs';

const live = liveDemo();

/** Words a Chinese user reads as they are: names of formats and programs, units, codes. */
const allowed = new Set(['API', 'ID', 'PDF', 'Excel', 'Word', 'CSV', 'XLSX', 'xlsx', 'DOCX', 'docx', 'TOTP', 'QR',
  'km', 'kg', 'mg', 'ml', 'mL', 'cm', 'mm', 'kWh', 'CST', 'UTC', 'GB', 'MB', 'KB', 'OK', 'WPS', 'PNG', 'JSON',
  'App', 'APP', 'OpenAPI', 'Swagger', 'HTTP', 'HTTPS', 'http', 'POST', 'URL', 'IP', 'GPS', 'SQLite', 'PostgreSQL',
  'HMAC', 'SHA', 'AM', 'PM']);

/** Pages about accounts, where the name one logs in with is the thing shown. */
const accountPages = /^\/(me|users)(\/|$|\?)/;

/** Links on a page worth opening: same-site pages, not downloads, not the way out. */
async function linksOf(page, base) {
  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => a.href));
  return [...new Set(hrefs
    .filter((h) => h.startsWith(base))
    .map((h) => h.split('#')[0])
    .filter((h) => !/\/(logout|export)|\.(xlsx|docx|pdf|csv|json)(\?|$)|download|template/.test(h)))];
}

/** English words in the visible text beyond the allow-list (addresses and paths are codes). */
function english(text, where) {
  const plain = text.replace(/https?:\/\/\S+/g, ' ').replace(/\/[A-Za-z0-9_\/.{}?=&-]+/g, ' ');
  const words = plain.match(/(?<![A-Za-z0-9_.-])[A-Za-z]{2,}(?![A-Za-z0-9_-])/g) || [];
  const logins = accountPages.test(where) ? new Set(accounts) : new Set();
  return [...new Set(words.filter((w) => !allowed.has(w) && !logins.has(w)))];
}

for (const [label, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]]) {
  test(`every account's home and its links open clean on a ${label}`, async () => {
    assert.ok(accounts.length >= 10, `accounts read: ${accounts}`);
    const problems = [];
    for (const username of accounts) {
      const context = await live.browser.newContext({ viewport, locale: 'zh-CN' });
      const page = await context.newPage();
      let where = '';
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`${username} ${where}: console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`${username} ${where}: script: ${e.message}`));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${username} ${where}: ${r.status()} ${r.url()}`);
      });
      page.on('requestfailed', (r) => {
        // A request cut short by the next navigation is not a failure of the page.
        if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`${username} ${where}: failed ${r.url()} ${r.failure()?.errorText}`);
      });
      where = '/login';
      await page.goto(`${live.base}/login`);
      await page.fill('input[name=username]', username);
      await page.fill('input[name=password]', 'Haixi@2020');
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      where = new URL(page.url()).pathname;
      const home = page.url();
      await page.screenshot({ path: join(shots, `first-${label}-${username}.png`), fullPage: true });
      const look = async () => {
        const words = english(await page.innerText('body'), where);
        if (words.length) problems.push(`${username} ${where}: English: ${words.join(' ')}`);
      };
      await look();
      for (const link of await linksOf(page, live.base)) {
        where = new URL(link).pathname + new URL(link).search;
        const resp = await page.goto(link);
        if (resp && resp.status() >= 400) continue; // counted by the response listener
        await look();
      }
      assert.ok(home.startsWith(live.base));
      await context.close();
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });
}

for (const [label, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]]) {
  test(`the liaison's daily form starts from the last report and asks about odd figures on a ${label}`, async () => {
    const { context, page } = await live.loggedIn('liaison', { viewport, locale: 'zh-CN' });
    await page.goto(`${live.base}/enterprises`);
    const href = await page.getAttribute('a[href^="/enterprises/"]:not([href*="/visit"]):not([href*="/filing"])', 'href');
    await page.goto(`${live.base}${href}`);
    assert.match(await page.textContent('#report'), /已按上次日报（\d{4}-\d{2}-\d{2}）预填/);
    const last = await page.inputValue('input[name=on_duty]');
    assert.match(last, /^\d+$/);
    // The confirmation is offered but not asked for until the figures look odd.
    assert.equal(await page.getAttribute('input[name=confirm_implausible]', 'required'), null);
    await page.fill('input[name=on_duty]', '999999');
    // The form goes through the phone's outbox: the server's doubts are listed on the page,
    // which stays, and the confirmation is now asked for.
    await page.click('#report button[type=submit]');
    await page.waitForSelector('#doubts');
    assert.match(await page.textContent('#doubts'), /多于登记的正常用工/);
    assert.equal(await page.inputValue('input[name=on_duty]'), '999999');
    assert.notEqual(await page.getAttribute('input[name=confirm_implausible]', 'required'), null);
    assert.match(await page.textContent('#report button[type=submit]'), /确认无误，仍然报送/);
    // Nothing was filed, and nothing waits in the outbox to be sent again.
    assert.deepEqual(await page.evaluate(async () => (await window.dtOutbox.all()).map((r) => r.state)), []);
    await page.screenshot({ path: join(shots, `report-doubts-${label}.png`), fullPage: true });
    await page.check('input[name=confirm_implausible]');
    await Promise.all([page.waitForNavigation(), page.click('#report button[type=submit]')]);
    assert.match(await page.textContent('body'), /日报已提交/);
    assert.match(await page.textContent('body'), /经确认的异常数/);
    await page.screenshot({ path: join(shots, `report-confirmed-${label}.png`), fullPage: true });
    await context.close();
  });
}

for (const [label, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]]) {
  test(`the responder's inbox calls it to an open ticket on the demo's evening on a ${label}`, async () => {
    const { context, page } = await live.loggedIn('responder', { viewport, locale: 'zh-CN' });
    // The home lists the tickets waiting for the department, new ones among them.
    assert.match(await page.textContent('body'), /待报到/);
    await page.goto(`${live.base}/inbox`);
    const call = page.locator('li.card', { hasText: '发热人员需转运' }).first();
    await call.waitFor();
    await page.screenshot({ path: join(shots, `responder-inbox-${label}.png`), fullPage: true });
    await Promise.all([page.waitForNavigation(), call.locator('button').click()]);
    assert.match(new URL(page.url()).pathname, /^\/tickets\/\d+$/);
    const body = await page.textContent('body');
    assert.match(body, /发热人员需转运/);
    assert.match(body, /待报到/);
    await context.close();
  });
}
