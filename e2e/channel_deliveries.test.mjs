// A unit's channels as an operator sees them, on a phone and on a desktop, against a local
// robot that answers as a 企业微信 group robot does (files too): the settings page with
// "发送测试消息" answered, and the deliveries page once the scheduler has pushed the demo's
// events (what was delivered, what waits and why, which went in a digest).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';

const clockDir = mkdtempSync(join(tmpdir(), 'dualtrack-clock-'));
const clockFile = join(clockDir, 'now.txt');
const setClock = (local) => writeFileSync(clockFile, `${local}+08:00\n`);
setClock('2020-03-13T10:00:00');
const live = liveDemo(['--clock-file', clockFile]);
after(() => rmSync(clockDir, { recursive: true, force: true }));
let robot;
let robotUrl;
const received = [];

before(async () => {
  robot = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url, bytes: Buffer.concat(chunks).length });
      res.setHeader('content-type', 'application/json');
      if (req.url.includes('/upload_media')) {
        res.end(JSON.stringify({ errcode: 0, errmsg: 'ok', type: 'file', media_id: `m${received.length}` }));
      } else {
        res.end('{"errcode":0,"errmsg":"ok"}');
      }
    });
  });
  await new Promise((r) => robot.listen(0, '127.0.0.1', r));
  robotUrl = `http://127.0.0.1:${robot.address().port}`;
});
after(() => robot.close());

/** Adds a channel on the setup page; resolves to its page's address. */
async function addChannel(page, name, url) {
  await page.goto(`${live.base}/whistle/departments`);
  await page.fill('form[action="/whistle/webhooks"] input[name=name]', name);
  await page.selectOption('form[action="/whistle/webhooks"] select[name=kind]', 'wecom');
  await page.fill('form[action="/whistle/webhooks"] input[name=url]', url);
  await page.fill('form[action="/whistle/webhooks"] input[name=secret]', '693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa');
  await page.click('form[action="/whistle/webhooks"] button[type=submit]');
  await page.waitForURL(/\/whistle\/departments\?done=1/);
  await page.click(`a:has-text("${name}")`);
  await page.waitForURL(/\/whistle\/webhooks\/\d+$/);
  return page.url();
}

for (const [label, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]]) {
  test(`a channel's settings and deliveries on a ${label}`, async () => {
    const { context, page } = await live.loggedIn('golmud_operator', { viewport, locale: 'zh-CN' });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const good = await addChannel(page, `指挥部值班群（${label === "phone" ? "手机" : "电脑"}）`, robotUrl);
    await page.click('button:has-text("发送测试消息")');
    await page.waitForLoadState('load');
    assert.match(await page.innerText('main'), /测试消息已送达/);
    await page.screenshot({ path: join(shots, `channel-settings-${label}.png`), fullPage: true });
    const dead = await addChannel(page, `未接通的群（${label === "phone" ? "手机" : "电脑"}）`, 'http://127.0.0.1:9');
    // The next day past noon: the reports missing, the low stock and the morning briefing
    // (with its Word file) go out; the scheduler wakes when the drill clock moves.
    setClock(label === 'phone' ? '2020-03-14T13:00:00' : '2020-03-15T13:00:00');
    for (const [url, want] of [[good, /已送达/], [dead, /待重试[\s\S]*连接不上接收方/]]) {
      let text = '';
      for (let i = 0; i < 60 && !want.test(text.split('投递记录')[1] || ''); i++) {
        await page.waitForTimeout(1000);
        await page.goto(url);
        text = await page.innerText('main');
      }
      assert.match(text.split('投递记录')[1] || '', want, text);
      const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      assert.equal(wide, false, 'no sideways scrolling');
      const english = (text.match(/\b[A-Za-z]{4,}\b/g) || []).filter((w) => !['HTTPS', 'http', 'https', 'Word'].includes(w));
      assert.deepEqual(english, [], 'no English words on the page');
    }
    const top = { x: 0, y: 0, width: viewport.width, height: 1400 };
    await page.goto(good);
    await page.screenshot({ path: join(shots, `channel-deliveries-${label}.png`), clip: top });
    await page.goto(dead);
    await page.screenshot({ path: join(shots, `channel-waiting-${label}.png`), clip: top });
    assert.deepEqual(errors, []);
    await context.close();
  });
}
