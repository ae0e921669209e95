// The pages run under the content security policy: every page answers with it, and the
// browser blocks nothing on them (charts, tooltips, ticket attachments, print buttons).
// Real binary, real SQLite file, Debian's headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveDemo, login } from './server.mjs';


const live = liveDemo();

test('the pages work under the content security policy, with nothing blocked', async () => {
  const problems = [];
  const visits = [
    ['golmud_operator', ['/tickets', '/tickets/1', '/tickets/new', '/inbox', '/monitoring/due', '/supplies/spring-farming', '/briefing', '/tree', '/no/such/page']],
    ['haixi_leader', ['/dashboard', '/key-production', '/monitoring', '/whistle/figures', '/production-problems', '/projects', '/resumption']],
  ];
  for (const [who, paths] of visits) {
    const context = await live.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(`${who} ${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${who} ${page.url()}: ${e.message}`));
    await login(page, live.base, who);
    for (const path of paths) {
      const resp = await page.goto(`${live.base}${path}`);
      const csp = (await resp.allHeaders())['content-security-policy'] ?? '';
      assert.match(csp, /script-src 'self'/, `${path} has a content security policy`);
      await page.mouse.move(400, 420);
      await page.mouse.move(640, 460);
    }
    await context.close();
  }
  assert.deepEqual(problems, []);
});
