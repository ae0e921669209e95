// Page weight of the phone forms and the time to open the passage form on a slow network.
// Prints figures; asserts nothing (not a timed test).
//
//   cargo build --bin dualtrack
//   DUALTRACK_BIN=target/debug/dualtrack node scripts/weight.mjs
//
// Bytes are counted on the wire by a proxy between Chromium and the server (compressed
// bodies and headers, the service worker's own fetches included). "First visit": a logged-in
// phone with nothing kept (HTTP cache, service worker and its caches emptied); "repeat": the
// same page opened again. The open time is the passage form opened after the first visit
// with Chromium's "Slow 3G" profile (2 s round trip, 50 KB/s), until its load event.
import net from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const e2e = join(here, '..', 'e2e');
const { startServer } = await import(join(e2e, 'server.mjs'));
const { chromium } = createRequire(join(e2e, 'package.json'))('playwright-core');

const SLOW_3G = { offline: false, latency: 2000, downloadThroughput: 50000, uploadThroughput: 50000 };

/** A counting proxy in front of `target` ("http://127.0.0.1:port"). */
function proxy(target) {
  const { hostname, port } = new URL(target);
  const meter = { down: 0, up: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    client.on('data', (b) => { meter.up += b.length; upstream.write(b); });
    upstream.on('data', (b) => { meter.down += b.length; client.write(b); });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    ok({ meter, server, url: `http://127.0.0.1:${server.address().port}` });
  }));
}

async function settle(page) {
  await page.waitForLoadState('load');
  await page.waitForTimeout(1500); // the outbox's session check and the worker's keeping
}

async function login(page, base, user) {
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', 'Haixi@2020');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  await settle(page);
}

/** Empties what the phone keeps, login kept. */
async function forget(page, cdp) {
  await page.evaluate(async () => {
    for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    for (const k of await caches.keys()) await caches.delete(k);
  });
  await cdp.send('Network.clearBrowserCache');
}

const { proc, url: origin } = await startServer();
const { meter, server, url: base } = await proxy(origin);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };

// [who, what, how the page is found]
const forms = [
  ['checkpoint_worker', '通行登记', async (p) => {
    await p.goto(`${base}/checkpoints`);
    await p.click('td a:text-is("格尔木南出口")');
    await p.click('a.button:has-text("登记通行")');
    return p.url();
  }],
  ['grid_worker', '网格日报、零报告、摸排登记（我的网格）', async () => `${base}/my-grid`],
  ['grid_worker', '随访（隔离与监测）', async (p) => {
    await p.goto(`${base}/monitoring/cases`);
    const a = p.locator('td a[href^="/monitoring/cases/"]').first();
    return (await a.count()) ? new URL(await a.getAttribute('href'), base).href : `${base}/monitoring/cases`;
  }],
  ['grid_worker', '落地交接接收', async (p) => {
    await p.goto(`${base}/handovers`);
    const a = p.locator('a[href^="/handovers/"]').first();
    return (await a.count()) ? new URL(await a.getAttribute('href'), base).href : `${base}/handovers`;
  }],
  ['liaison', '企业日报', async (p) => {
    await p.goto(`${base}/enterprises`);
    const a = p.locator('td a[href^="/enterprises/"]').first();
    return new URL(await a.getAttribute('href'), base).href;
  }],
  ['grid_worker', '吹哨报到（发起）', async () => `${base}/tickets/new`],
];

const rows = [];
let slow = null;
for (const [user, what, find] of forms) {
  const context = await browser.newContext(phone);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await login(page, base, user);
  const target = await find(page);
  await settle(page);
  await forget(page, cdp);
  await page.goto(`${base}/me`); // a page that is not the form, nothing kept
  await forget(page, cdp);
  let before = meter.down;
  await page.goto(target);
  await settle(page);
  const first = meter.down - before;
  before = meter.down;
  await page.goto(target);
  await settle(page);
  const repeat = meter.down - before;
  rows.push({ what, user, path: new URL(target).pathname, first, repeat });
  if (what === '通行登记') {
    await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
    const t0 = Date.now();
    await page.goto(target, { waitUntil: 'load' });
    const ms = Date.now() - t0;
    const nav = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return { dcl: Math.round(n.domContentLoadedEventEnd), load: Math.round(n.loadEventEnd) };
    });
    slow = { ms, ...nav };
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  }
  await context.close();
}

const kb = (n) => (n / 1024).toFixed(1).padStart(7) + ' KB';
console.log('\n手机表单页面重量（线上传输字节，含压缩后的正文与报文头）\n');
console.log('表单'.padEnd(26) + '首次访问'.padStart(10) + '再次访问'.padStart(10) + '  账户 / 路径');
for (const r of rows) {
  console.log(r.what.padEnd(26 - [...r.what].filter((c) => c.charCodeAt(0) > 255).length) + kb(r.first) + kb(r.repeat) + `  ${r.user} ${r.path}`);
}
if (slow) {
  console.log(`\n慢速 3G（往返 2 秒、50 KB/秒）下首次访问之后打开通行登记：${slow.ms} ms（DOMContentLoaded ${slow.dcl} ms，load ${slow.load} ms）`);
}
await browser.close();
server.close();
proc.kill('SIGTERM');
