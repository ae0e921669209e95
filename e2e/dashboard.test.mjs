// A prefecture leader opens the command view, moves the date back to 2020-02-27, sees the
// 163 enterprises and the 73.1% resumption rate, drills down into 格尔木, and downloads the
// Word briefing, whose text is read back here; a county leader sees only the county.
// Real binary, real SQLite file, Debian's headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import JSZip from 'jszip';
import { shots, liveDemo } from './server.mjs';


const live = liveDemo();

test('a leader sees the day of the report, drills into a county and downloads the briefing', async () => {
  const { context, page } = await live.loggedIn('haixi_leader', { viewport: { width: 1280, height: 900 }, locale: 'zh-CN', acceptDownloads: true });
  await page.click('#nav-dashboard');
  await page.waitForURL(`${live.base}/dashboard`);
  await page.fill('#as-of', '2020-02-27');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/as_of=2020-02-27/);
  assert.match(await page.textContent('#place-name'), /海西蒙古族藏族自治州/);
  assert.equal((await page.textContent('#fig-resumption-registered strong')).trim(), '163');
  assert.equal((await page.textContent('#fig-resumption-rate strong')).trim(), '73.1%');
  assert.match(await page.textContent('#fig-resumption-rate'), /117 \/ 160/);
  assert.equal((await page.textContent('#fig-mobilisation-grids strong')).trim(), '815');
  await page.waitForSelector('#trend-chart svg');
  await page.screenshot({ path: join(shots, '30-dashboard.png'), fullPage: true });

  // Drill down into 格尔木市: its own figures, the path back up.
  await page.click('#children a:text-is("格尔木市")');
  await page.waitForURL(/place=632801/);
  assert.match(await page.textContent('#place-name'), /格尔木市/);
  assert.match(await page.textContent('nav.crumbs'), /海西蒙古族藏族自治州[\s\S]*格尔木市/);
  const golmud = Number((await page.textContent('#fig-resumption-registered strong')).trim());
  assert.ok(golmud > 0 && golmud < 163, `格尔木 has ${golmud} of the 163`);
  await page.screenshot({ path: join(shots, '31-dashboard-golmud.png'), fullPage: true });

  // The wall display.
  await page.goto(`${live.base}/dashboard?as_of=2020-02-27&wall=1`);
  assert.equal(await page.isVisible('header.top'), false);
  await page.screenshot({ path: join(shots, '32-dashboard-wall.png') });

  // The briefing for the prefecture, downloaded as Word and read back.
  await page.goto(`${live.base}/briefing?as_of=2020-02-27&place=6328`);
  await page.screenshot({ path: join(shots, '33-briefing.png'), fullPage: true });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-docx')]);
  const zip = await JSZip.loadAsync(await readFile(await download.path()));
  const xml = await zip.file('word/document.xml').async('string');
  const text = xml.replace(/<[^>]+>/g, '');
  for (const w of ['海西蒙古族藏族自治州疫情防控和复工复产工作简报', '163家规模以上工业企业', '开复工率73.1%',
    '临时党支部28个', '党员突击队132支', '志愿服务队336支', '467名第一书记', '请战书222份', '34个工作组102名干部', '815个网格']) {
    assert.ok(text.includes(w), `the Word briefing says ${w}`);
  }
  await context.close();
});

test('a county leader sees only the county, and its briefing', async () => {
  const { context, page } = await live.loggedIn('golmud_leader', { viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await page.goto(`${live.base}/dashboard?as_of=2020-02-27`);
  assert.match(await page.textContent('#place-name'), /格尔木市/);
  const resp = await page.goto(`${live.base}/dashboard?as_of=2020-02-27&place=6328`);
  assert.equal(resp.status(), 404);
  const other = await page.goto(`${live.base}/briefing?as_of=2020-02-27&place=632802`);
  assert.equal(other.status(), 404);
  await page.goto(`${live.base}/briefing?as_of=2020-02-27`);
  const body = await page.textContent('#briefing');
  assert.match(body, /格尔木市疫情防控和复工复产工作简报/);
  assert.doesNotMatch(body, /海西蒙古族藏族自治州/);
  await page.screenshot({ path: join(shots, '34-briefing-golmud.png'), fullPage: true });
  await context.close();
});
