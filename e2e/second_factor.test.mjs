// The second factor as a user meets it: enrol an authenticator from the QR page (the test
// reads the secret shown beside the code and computes the codes as an app would), log out,
// and log in again with the password alone (refused, asking for the code) and then with a
// code; then make an API token on the account page (shown once), use it and revoke it.
// Real binary, real SQLite file, Debian's headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { shots, liveDemo } from './server.mjs';

const live = liveDemo();

/** RFC 4648 base32 to bytes. */
function base32(s) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of s.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

/** The RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of the step `offset` steps from now. */
function totp(secret, offset = 0) {
  const step = Math.floor(Date.now() / 1000 / 30) + offset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', base32(secret)).update(msg).digest();
  const o = h[h.length - 1] & 15;
  const n = (h.readUInt32BE(o) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, '0');
}

test('an authenticator is enrolled from the QR page, and a login then needs its code', async () => {
  const { context, page } = await live.loggedIn('auditor', { viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await page.goto(`${live.base}/me`);
  await page.click('a[href="/me/second-factor"]');
  await page.click('button:has-text("开始启用")');
  await page.waitForSelector('.qr svg');
  const secret = (await page.textContent('.totp-secret')).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  await page.screenshot({ path: join(shots, '60-second-factor-qr.png'), fullPage: true });
  await page.fill('input[name=code]', totp(secret));
  await page.click('button:has-text("确认启用")');
  await page.waitForSelector('text=请保存恢复码');
  assert.equal(await page.locator('.recovery-codes li').count(), 10);

  // Out, and in again.
  await page.goto(`${live.base}/`);
  await page.click('form[action="/logout"] button');
  await page.waitForURL(/\/login/);
  await page.fill('input[name=username]', 'auditor');
  await page.fill('input[name=password]', 'Haixi@2020');
  await page.click('button[type=submit]');
  await page.waitForSelector('p.error');
  assert.match(await page.textContent('p.error'), /动态口令/);
  await page.fill('input[name=password]', 'Haixi@2020');
  await page.fill('input[name=totp_code]', totp(secret, 1));
  await page.click('button[type=submit]');
  await page.waitForURL(`${live.base}/`);
  await page.goto(`${live.base}/audit`);
  assert.ok((await page.textContent('h1')).includes('审计日志'));

  // Logged in with the code, an API token: made on the account page, shown once, revoked.
  await page.goto(`${live.base}/me`);
  await page.fill('#tokens input[name=name]', '审计抽查');
  await page.selectOption('#tokens select[name=scope]', 'read');
  await page.click('#tokens button:has-text("新建令牌")');
  const token = (await page.textContent('.token-secret')).trim();
  assert.match(token, /^dt_[0-9a-f]{64}$/);
  await page.screenshot({ path: join(shots, '61-api-token-made.png'), fullPage: true });
  const me = (t) => fetch(`${live.base}/api/v1/me`, { headers: { Authorization: `Bearer ${t}` } });
  assert.equal((await me(token)).status, 200);
  await page.goto(`${live.base}/me`);
  assert.ok(!(await page.content()).includes(token), 'the token is shown once');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(shots, '62-api-tokens-listed.png'), fullPage: true });
  await page.click('#tokens form[action$="/revoke"] button');
  await page.waitForURL(`${live.base}/me`);
  assert.ok((await page.textContent('#tokens')).includes('还没有接口令牌'));
  assert.equal((await me(token)).status, 401);
  await context.close();
});
