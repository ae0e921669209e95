// Places chosen by name on a phone: on the passage form the checkpoint worker types "wh" and
// picks 武汉市 (the form sends 420100), picks a grid of 格尔木 by its name as destination, and
// registers the passage; with no signal the picker still finds 武汉 in the names kept on the
// phone. Real binary, real SQLite file, Debian's headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';

const live = liveDemo();

const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };

async function passageForm(page) {
  await page.goto(`${live.base}/checkpoints`);
  await page.click('td a:text-is("格尔木南出口")');
  const names = page.waitForResponse((r) => r.url().endsWith('/api/v1/places/names') && r.status() === 200);
  await page.click('a.button:has-text("登记通行")');
  await page.waitForSelector('#passage-form .picker');
  return names;
}

/** What the form would send in a field, read the way the browser builds it. */
function sent(page, name) {
  return page.evaluate((n) => new FormData(document.getElementById('passage-form')).get(n), name);
}

test('wh picks 武汉 (420100) and a grid is picked by name on the passage form', async () => {
  const { context, page } = await live.loggedIn('checkpoint_worker', phone);
  await passageForm(page);
  const origin = page.locator('input[name=origin]');
  await origin.pressSequentially('wh', { delay: 30 });
  const wuhan = page.locator('.picker-option', { hasText: '湖北省武汉市' });
  await wuhan.waitFor();
  await page.screenshot({ path: join(shots, '60-picker-wh.png'), fullPage: false });
  await wuhan.tap();
  assert.equal(await origin.inputValue(), '武汉市');
  assert.equal(await origin.getAttribute('data-place-code'), '420100');
  assert.equal(await sent(page, 'origin'), '420100');
  assert.match(await page.locator('.picker-chosen').first().textContent(), /湖北省武汉市 · 420100/);

  // The destination: a grid of the checkpoint's county, by name, chosen with the keyboard.
  const dest = page.locator('input[name=destination]');
  await dest.pressSequentially('博爱巷第一', { delay: 30 });
  await page.locator('.picker-option[aria-selected=true]', { hasText: '博爱巷第一网格' }).waitFor();
  await page.screenshot({ path: join(shots, '61-picker-grid.png'), fullPage: false });
  await dest.press('Enter');
  assert.equal(await dest.inputValue(), '博爱巷第一网格');
  assert.equal(await sent(page, 'destination'), '632801001001001');

  await page.fill('input[name=plate]', '鄂A·20200');
  await page.check('input[name=vehicle_class][value=car]');
  await page.fill('input[name=reason]', '返岗复工');
  const row = page.locator('fieldset.traveller').first();
  await row.locator('input[name=name]').fill('张汉生');
  await row.locator('input[name=id_number]').fill('420102198001010036');
  await row.locator('input[name=temperature]').fill('36.5');
  await row.locator('input[value=through]').check();
  await page.click('button[type=submit]:has-text("提交登记")');
  await page.waitForSelector('text=已推送目的地落地交接 1 人');

  // Stored by code: the origin 420100 named in full, the destination the grid.
  const id = page.url().match(/checkpoints\/(\d+)/)[1];
  const mine = await page.evaluate(async (cp) => {
    for (let n = 1; n <= 20; n++) {
      const r = await fetch(`/api/v1/checkpoints/${cp}/passages?page=${n}`, { credentials: 'same-origin' });
      const found = (await r.json()).find((p) => p.plate === '鄂A·20200');
      if (found) return found;
    }
    return null;
  }, id);
  assert.ok(mine, 'the passage is stored');
  assert.equal(mine.origin_code, '420100');
  assert.equal(mine.origin, '湖北省武汉市');
  await context.close();
});

test('with no signal the picker searches the names kept on the phone', async () => {
  const { context, page } = await live.loggedIn('checkpoint_worker', phone);
  const names = await passageForm(page);
  const list = await names;
  const raw = (await list.body()).length;
  assert.match(list.headers()['cache-control'], /max-age=604800/);
  console.log(`places list: ${raw} bytes`);
  await context.setOffline(true);
  const origin = page.locator('input[name=origin]');
  await origin.pressSequentially('wuhan', { delay: 30 });
  const wuhan = page.locator('.picker-option', { hasText: '湖北省武汉市' });
  await wuhan.waitFor();
  assert.match(await page.locator('.picker-list').first().textContent(), /离线/);
  await page.screenshot({ path: join(shots, '62-picker-offline.png'), fullPage: false });
  await wuhan.tap();
  assert.equal(await sent(page, 'origin'), '420100');
  // A grid by its pinyin initials, offline too.
  const dest = page.locator('input[name=destination]');
  await dest.pressSequentially('yhxdewg', { delay: 30 });
  await page.locator('.picker-option', { hasText: '育红巷第二网格' }).tap();
  assert.equal(await sent(page, 'destination'), '632801001002002');
  await context.setOffline(false);
  await context.close();
});

test('the picker on a desktop form, and a code shown again is named underneath', async () => {
  const { context, page } = await live.loggedIn('golmud_operator', { viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  await page.goto(`${live.base}/organisations/new`);
  const field = page.locator('input[name=jurisdiction_code][data-place]');
  await field.fill('');
  await field.pressSequentially('geermu', { delay: 20 });
  await page.locator('.picker-option', { hasText: '格尔木市' }).first().click();
  assert.equal(await field.getAttribute('data-place-code'), '632801');
  assert.equal(await page.evaluate(() => new FormData(document.querySelector('input[name=jurisdiction_code]').form).get('jurisdiction_code')), '632801');
  // The passage form shown again after a refusal keeps the chosen code, shown by name.
  await page.goto(`${live.base}/checkpoints`);
  await page.click('td a:text-is("格尔木南出口")');
  await page.click('a.button:has-text("登记通行")');
  await page.fill('input[name=origin]', '青海省西宁市');
  await page.fill('input[name=destination]', '632801100');
  const row = page.locator('fieldset.traveller').first();
  await row.locator('input[name=name]').fill('李测试');
  await row.locator('input[name=id_number]').fill('123');
  await row.locator('input[name=temperature]').fill('36.5');
  await row.locator('input[value=through]').check();
  await page.click('button[type=submit]:has-text("提交登记")');
  await page.waitForSelector('.error');
  const dest = page.locator('input[name=destination]');
  await page.locator('.picker-chosen', { hasText: '郭勒木德镇 · 632801100' }).waitFor();
  assert.equal(await dest.inputValue(), '632801100');
  assert.equal(await page.evaluate(() => new FormData(document.getElementById('passage-form')).get('destination')), '632801100');
  await page.screenshot({ path: join(shots, '63-picker-desktop.png'), fullPage: false });
  await context.close();
});
