// A unit's channel set up on the whistle's page, on a phone and on a desktop: the form takes a
// 企业微信 robot with its events, the channel's page shows it, and "发送测试消息" answers
// on the page (here no robot listens, so it says why it was not delivered).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';

const live = liveDemo();

for (const [label, viewport] of [['phone', { width: 390, height: 844 }], ['desktop', { width: 1280, height: 800 }]]) {
  test(`a channel is set up and tested on a ${label}`, async () => {
    const { context, page } = await live.loggedIn('golmud_operator', { viewport, locale: 'zh-CN' });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${live.base}/whistle/departments`);
    const name = `值班群机器人（${label}）`;
    await page.fill('form[action="/whistle/webhooks"] input[name=name]', name);
    await page.selectOption('form[action="/whistle/webhooks"] select[name=kind]', 'wecom');
    await page.fill('form[action="/whistle/webhooks"] input[name=url]', 'http://127.0.0.1:9');
    await page.fill('form[action="/whistle/webhooks"] input[name=secret]', '693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa');
    await page.check('form[action="/whistle/webhooks"] input[name=events][value=raised]');
    await page.check('form[action="/whistle/webhooks"] input[name=events][value=escalated]');
    await page.click('form[action="/whistle/webhooks"] button[type=submit]');
    await page.waitForURL(/\/whistle\/departments\?done=1/);
    await page.screenshot({ path: join(shots, `channels-setup-${label}.png`), fullPage: true });
    await page.click(`a:has-text("${name}")`);
    await page.waitForURL(/\/whistle\/webhooks\/\d+$/);
    const text = await page.innerText('main');
    assert.match(text, /企业微信/);
    assert.match(text, /吹哨、升级督办/);
    await page.click('button:has-text("发送测试消息")');
    await page.waitForSelector('[role=alert]');
    assert.match(await page.innerText('[role=alert]'), /测试消息未送达/);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    assert.equal(wide, false, 'no sideways scrolling');
    await page.screenshot({ path: join(shots, `channels-page-${label}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });
}
