// A spreadsheet export from a page, as an operator on a phone sees it: the link shows the
// seconds it takes and then the file is saved, holding every traveller the page counts; a
// refused export says why beside the link, in Chinese, instead of saving an error as a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import JSZip from 'jszip';
import { shots, liveDemo } from './server.mjs';

const live = liveDemo();

test('an export shows its progress, saves the whole list, and says why when refused', async () => {
  const { context, page } = await live.loggedIn('golmud_operator', {
    viewport: { width: 390, height: 844 }, locale: 'zh-CN', acceptDownloads: true,
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${live.base}/outbound?from=2020-01-25&to=2020-03-20`);
  const total = Number((await page.textContent('#outbound-count')).trim());
  assert.ok(total > 0, `the demo has outbound travellers (${total})`);
  const link = page.locator('a:has-text("导出 Excel（脱敏）")');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.match(download.suggestedFilename(), /外出通报.*\.xlsx$/);
  const zip = await JSZip.loadAsync(await readFile(await download.path()));
  const xml = await zip.file('xl/worksheets/sheet1.xml').async('string');
  const rows = (xml.match(/<row /g) || []).length;
  assert.equal(rows, total + 1, 'the header and every traveller the page counts');
  const note = page.locator('.export-progress');
  await note.waitFor();
  assert.match(await note.textContent(), /^已导出（[\d.]+ MB，用时 \d+ 秒）$/);
  await page.screenshot({ path: join(shots, '60-export-done.png') });

  // Refused: the dates the wrong way round. The reason shows beside the link; nothing is saved.
  let saved = 0;
  page.on('download', () => { saved += 1; });
  await link.evaluate((a) => {
    a.href = '/api/v1/outbound-notices/export.xlsx?from=2020-03-20&to=2020-01-01';
  });
  await link.click();
  const refused = page.locator('.export-progress.error');
  await refused.waitFor();
  const said = await refused.textContent();
  assert.match(said, /截止日不能早于起始日/);
  assert.equal(said.split('截止日不能早于起始日').length, 2, `said once: ${said}`);
  assert.doesNotMatch(said, /[A-Za-z]{3,}/, `no English: ${said}`);
  assert.equal(saved, 0);
  await page.screenshot({ path: join(shots, '61-export-refused.png') });
  assert.deepEqual(errors, []);
  await context.close();
});
