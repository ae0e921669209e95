// Page weights of the phone forms, printed (not a test: nothing is asserted, no timing is
// checked). For each form: bytes the server sent the phone (compressed, as transferred,
// headers included, the service worker's own requests too) on a first visit with nothing kept on the phone, and on a repeat visit; then
// the time to open the passage form on an emulated slow 3G network after the first visit.
// Run: DUALTRACK_BIN=target/debug/dualtrack node e2e/weights.mjs (or a release binary).
import { startServer, launchBrowser, login } from './server.mjs';

const phone = { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true };
// Chrome DevTools' "Slow 3G": 400 kbit/s each way, 2 s round trip.
const SLOW_3G = { offline: false, latency: 2000, downloadThroughput: 400 * 1024 / 8, uploadThroughput: 400 * 1024 / 8 };

/** Where each phone form is, found as its user finds it: [name, user, path of the page]. */
async function forms(page, base) {
  const href = async (from, sel) => {
    await page.goto(`${base}${from}`);
    return page.getAttribute(sel, 'href');
  };
  const out = [];
  const as = async (user, list) => {
    await login(page, base, user);
    for (const [name, find] of list) out.push([name, user, (await find()).replace(/#.*$/, '')]);
    await page.context().clearCookies();
  };
  await as('checkpoint_worker', [
    ['通行登记', async () => `${(await href('/checkpoints', 'td a >> nth=0'))}/passage`],
  ]);
  await as('grid_worker', [
    ['网格日报', async () => '/grids/632801001001001'],
    ['摸排登记（同网格页）', async () => '/grids/632801001001001'],
    ['随访', async () => href('/monitoring/due', 'a.due-item')],
    ['交接接收', async () => href('/handovers', '#handover-list li.handover a')],
    ['吹哨', async () => '/tickets/new'],
  ]);
  await as('liaison', [['企业日报', async () => href('/enterprises', 'td a[href^="/enterprises/"]')]]);
  await as('golmud_operator', [['出入库', async () => {
    await page.goto(`${base}/supplies`);
    const stores = await page.evaluate(async () => (await fetch('/api/v1/supplies/stores')).json());
    const s = (Array.isArray(stores) ? stores : stores.items).find((x) => x.kind === 'county');
    return `/supplies/stores/${s.id}`;
  }]]);
  return out;
}

// Every response the server sends the context (the page's and its service worker's): its
// encoded body and headers, as transferred; what the service worker answers from the phone
// is not counted.
let sent = 0;
function counting(context) {
  context.on('requestfinished', async (req) => {
    try {
      const resp = await req.response();
      if (!resp || resp.fromServiceWorker()) return;
      const z = await req.sizes();
      sent += z.responseBodySize + z.responseHeadersSize;
    } catch (e) { /* gone with its page */ }
  });
}

/** Bytes the server sends while `go` runs (and the requests it sets off settle). */
async function received(go) {
  await new Promise((r) => setTimeout(r, 1500));
  const before = sent;
  await go();
  await new Promise((r) => setTimeout(r, 1500));
  return sent - before;
}

const kb = (n) => (n / 1024).toFixed(1);

const { proc, url: base } = await startServer();
const browser = await launchBrowser();
try {
  const finder = await browser.newContext(phone);
  const list = await forms(await finder.newPage(), base);
  await finder.close();
  const rows = [];
  let passage = null;
  for (const [name, user, path] of list) {
    const context = await browser.newContext(phone);
    // Logged in without opening a page: the form is the first page the phone opens.
    const form = await (await context.request.get(`${base}/login`)).text();
    const csrf = (/name="csrf_token" value="([0-9a-f]+)"/.exec(form) || [])[1];
    await context.request.post(`${base}/login`, { form: { username: user, password: 'Haixi@2020', csrf_token: csrf, next: '/' } });
    counting(context);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const first = await received(() => page.goto(`${base}${path}`, { waitUntil: 'load' }));
    // The service worker takes the page and keeps what it keeps; then the repeat visit.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload({ waitUntil: 'load' });
    await page.waitForTimeout(1000);
    const repeat = await received(() => page.goto(`${base}${path}`, { waitUntil: 'load' }));
    rows.push([name, path, first, repeat]);
    if (!passage && path.endsWith('/passage')) {
      await cdp.send('Network.emulateNetworkConditions', SLOW_3G);
      const t0 = Date.now();
      await page.goto(`${base}${path}`, { waitUntil: 'load' });
      await page.waitForSelector('form[data-outbox=passage]');
      passage = Date.now() - t0;
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    }
    await context.close();
  }
  console.log('| 表单 | 页面 | 首次访问 KB | 再次访问 KB |');
  console.log('|---|---|---:|---:|');
  for (const [name, path, first, repeat] of rows) {
    console.log(`| ${name} | ${path} | ${kb(first)} | ${kb(repeat)} |`);
  }
  console.log(`\n通行登记表在模拟慢速 3G（往返 2 秒，400 kbit/s）下首次访问之后再次打开：${passage} ms`);
} finally {
  await browser.close();
  proc.kill('SIGTERM');
}
