// What the browser tests of the phone's outbox share: its records by state, waiting on it,
// and the forms it keeps.
import assert from 'node:assert/strict';

/** The outbox's records of this account, by state. */
export async function outbox(page) {
  return page.evaluate(async () => {
    const rs = await window.dtOutbox.all();
    const n = { pending: 0, sent: 0, refused: 0 };
    rs.forEach((r) => { n[r.state]++; });
    return n;
  });
}

/** Waits until `fn` answers something true, polling; fails naming `what`. */
export async function waitFor(fn, what, ms = 30000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`waited in vain for ${what}: ${JSON.stringify(last)}`);
}

/** Waits until the outbox's panel counts `n` records waiting to be sent. */
export async function pendingShown(page, n) {
  await page.waitForFunction((k) => {
    const el = document.querySelector('#outbox .count.pending');
    return el && el.textContent.includes(`待发送 ${k}`);
  }, n);
}

/** Opens the daily report form of the liaison's `nth` enterprise and waits until the phone
 *  keeps it: the enterprise's id, the form's path and its API. */
export async function keptReportForm(live, page, nth) {
  await page.goto(`${live.base}/enterprises`);
  const href = await page.getAttribute(`td a[href^="/enterprises/"] >> nth=${nth}`, 'href');
  const enterprise = Number(href.split('/')[2]);
  const formPath = `/enterprises/${enterprise}`;
  await page.goto(`${live.base}${formPath}`);
  await page.waitForSelector('#report-form');
  // The service worker takes the page and keeps the form.
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.reload();
  await waitFor(() => page.evaluate(async (p) => !!(await caches.match(p)), formPath), 'the form kept');
  return { enterprise, formPath, api: `/api/v1/enterprises/${enterprise}/reports` };
}
