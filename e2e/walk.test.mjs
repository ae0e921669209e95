// Logs in as a prefecture leader and walks down the tree from 海西州 to a grid, on a phone-
// sized screen; then checks that a grid worker sees only its grid. Real binary, real
// SQLite file, Debian's headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { shots, liveDemo, login as loginAt } from './server.mjs';

const live = liveDemo();

const login = (page, username) => loginAt(page, live.base, username);

test('a prefecture leader walks from 海西州 down to a grid on a phone', async () => {
  const { context, page } = await live.loggedIn('haixi_leader', { viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await page.screenshot({ path: join(shots, '01-home.png'), fullPage: true });
  // The demo lives on its own day, said on every page.
  assert.match(await page.textContent('.demo-day'), /演示数据 · 当前日期 2020年2月27日 星期四/);
  assert.match(await page.textContent('h1'), /今日工作 2020-02-27/);

  await page.click('text=浏览辖区');
  await page.waitForURL(`${live.base}/tree/6328`);
  assert.equal((await page.textContent('#node-name')).trim(), '海西蒙古族藏族自治州');
  await page.screenshot({ path: join(shots, '02-haixi.png'), fullPage: true });

  for (const [name, code] of [['格尔木市', '632801'], ['昆仑路街道', '632801001'], ['博爱巷社区居委会', '632801001001'], ['博爱巷第一网格', '632801001001001']]) {
    await page.click(`ul.children a:text-is("${name}")`);
    await page.waitForURL(`${live.base}/tree/${code}`);
    assert.equal((await page.textContent('#node-name')).trim(), name);
  }
  const crumbs = await page.textContent('nav.crumbs');
  for (const name of ['青海省', '海西蒙古族藏族自治州', '格尔木市', '昆仑路街道', '博爱巷社区居委会', '博爱巷第一网格']) {
    assert.ok(crumbs.includes(name), `path shows ${name}: ${crumbs}`);
  }
  assert.match(await page.textContent('main'), /网格 · 代码 632801001001001/);
  await page.screenshot({ path: join(shots, '03-grid.png'), fullPage: true });

  // Search as you type (htmx) finds 德令哈 within the prefecture.
  await page.goto(`${live.base}/tree/6328`);
  await page.fill('input[name=q]', '德令哈');
  await page.waitForSelector('#search-results li');
  assert.match(await page.textContent('#search-results'), /德令哈市/);
  await page.screenshot({ path: join(shots, '04-search.png'), fullPage: true });
  await context.close();
});

test('a grid worker sees its grid and nothing of a sibling city', async () => {
  const { context, page } = await live.loggedIn('grid_worker', { viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await page.goto(`${live.base}/tree`);
  await page.waitForURL(`${live.base}/tree/632801001001001`);
  assert.equal((await page.textContent('#node-name')).trim(), '博爱巷第一网格');
  const resp = await page.goto(`${live.base}/tree/632802`);
  assert.equal(resp.status(), 404);
  assert.doesNotMatch(await page.textContent('body'), /德令哈市（632802/);
  await page.screenshot({ path: join(shots, '05-grid-worker-404.png'), fullPage: true });
  await context.close();
});

test('a security administrator creates an account and the auditor finds it in the log', async () => {
  const context = await live.browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(`${live.base}/login`);
  await page.screenshot({ path: join(shots, '06-login.png') });
  await login(page, 'secadmin');
  await page.click('header >> text=账户管理');
  await page.waitForURL(`${live.base}/users`);
  await page.fill('input[name=username]', 'wulan_clerk');
  await page.fill('input[name=display_name]', '乌兰县办事员');
  await page.fill('input[name=jurisdiction_code]', '632821');
  await page.fill('input[name=password]', 'Chaka#2020x');
  await page.check('input[name=roles][value=operator]');
  await page.screenshot({ path: join(shots, '07-users.png'), fullPage: true });
  await page.click('form[method=post][action="/users"] button[type=submit]');
  await page.waitForURL(/\/users\/\d+$/);
  assert.match(await page.textContent('h1'), /乌兰县办事员/);
  await page.screenshot({ path: join(shots, '08-user.png'), fullPage: true });
  await page.click('text=退出');
  await page.waitForURL(`${live.base}/login`);

  await login(page, 'auditor');
  await page.goto(`${live.base}/audit?action=user.create`);
  assert.match(await page.textContent('table.audit'), /乌兰县办事员/);
  await page.goto(`${live.base}/audit`);
  await page.screenshot({ path: join(shots, '09-audit.png'), fullPage: true });
  await context.close();
});

/** A valid resident ID number (GB 11643): the check character over the first 17 digits. */
function validId(first17) {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

test('an operator registers a person on a phone, deploys them, and the on-duty count goes up', async () => {
  const { context, page } = await live.loggedIn('golmud_operator', { viewport: { width: 390, height: 844 }, locale: 'zh-CN', isMobile: true, hasTouch: true });
  assert.match(await page.textContent('#mobilisation-card'), /当日在岗人数/);
  await page.screenshot({ path: join(shots, '10-home-mobilisation.png'), fullPage: true });

  await page.click('header >> text=组织动员');
  await page.waitForURL(`${live.base}/mobilisation`);
  // "Today" is the demo's day, as its banner says.
  const today = await page.inputValue('.demo-day input[name=day]');
  assert.equal(today, '2020-02-27');
  assert.equal(await page.inputValue('input[name=as_of]'), today);
  const before = Number((await page.textContent('#on-duty')).trim());
  assert.ok(Number.isInteger(before), 'on-duty count is a number');
  await page.screenshot({ path: join(shots, '11-mobilisation.png'), fullPage: true });

  await page.click('nav.subnav >> text=登记人员');
  await page.waitForURL(`${live.base}/people/new`);
  const idNumber = validId('63280120030715123');
  await page.fill('input[name=name]', '巴图长青');
  await page.fill('input[name=id_number]', idNumber);
  await page.fill('input[name=phone]', '13997001234');
  await page.selectOption('select[name=political_status]', 'party_member');
  await page.check('input[name=categories][value=volunteer]');
  assert.equal(await page.inputValue('input[name=jurisdiction_code]'), '632801');
  await page.screenshot({ path: join(shots, '12-register.png'), fullPage: true });
  await page.click('form[action="/people"] button[type=submit]');
  await page.waitForURL(/\/people\/\d+\?done=registered$/);
  assert.match(await page.textContent('h1'), /巴图长青/);
  assert.equal((await page.textContent('#id-number')).trim(), `632801********${idNumber.slice(14)}`);
  assert.doesNotMatch(await page.textContent('body'), new RegExp(idNumber));
  await page.screenshot({ path: join(shots, '13-person.png'), fullPage: true });

  const deploy = page.locator('#deploy form');
  await deploy.locator('input[name=jurisdiction_code]').fill('632801001001');
  await deploy.locator('select[name=site_kind]').selectOption('checkpoint');
  await deploy.locator('input[name=site_name]').fill('G109 格尔木南卡口');
  await deploy.locator('input[name=role]').fill('卡口值守');
  await deploy.locator('input[name=start_on]').fill(today);
  await deploy.locator('button[type=submit]').click();
  await page.waitForURL(/\/people\/\d+\?done=deployed$/);
  assert.match(await page.textContent('p.notice'), /已派驻/);
  const deployments = await page.textContent('table.stack');
  assert.match(deployments, /卡口值守/);
  assert.match(deployments, new RegExp(`${today} 起至今`));
  await page.screenshot({ path: join(shots, '14-deployed.png'), fullPage: true });

  await page.click('header >> text=组织动员');
  await page.waitForURL(`${live.base}/mobilisation`);
  assert.equal(Number((await page.textContent('#on-duty')).trim()), before + 1);
  await page.screenshot({ path: join(shots, '15-mobilisation-after.png'), fullPage: true });

  // The lists behind the figures, as they look on a phone.
  await page.goto(`${live.base}/mobilisation?as_of=2020-02-28`);
  await page.screenshot({ path: join(shots, '16-mobilisation-2020-02-28.png'), fullPage: true });
  await page.click('a:has(#org-temp_branch)');
  await page.waitForURL(/\/organisations\?kind=temp_branch&as_of=2020-02-28$/);
  assert.match(await page.textContent('h1'), /临时党支部/);
  await page.screenshot({ path: join(shots, '17-temp-branches.png') });
  await page.goto(`${live.base}/people?name=巴图长青`);
  assert.match(await page.textContent('table.people'), /139\*\*\*\*1234/);
  await page.screenshot({ path: join(shots, '18-people.png') });
  await page.goto(`${live.base}/applications?status=submitted`);
  await page.click('details.approve >> nth=0 >> summary');
  await page.screenshot({ path: join(shots, '19-applications.png') });
  await context.close();
});

test('an enterprise liaison files a daily report on a phone and the county rate moves', async () => {
  // Find, through the API, a 格尔木 enterprise not yet resumed on 2020-02-27.
  const api = async (path, token, init = {}) => {
    const r = await fetch(`${live.base}${path}`, { ...init, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    return r.json();
  };
  const { token } = await api('/api/v1/auth/login', null, { method: 'POST', body: JSON.stringify({ username: 'liaison', password: 'Haixi@2020' }) });
  let target;
  for (const e of await api('/api/v1/enterprises', token)) {
    const reports = await api(`/api/v1/enterprises/${e.id}/reports`, token);
    if (reports.some((r) => r.report_date === '2020-02-27' && r.is_current && r.status === 'not_resumed')) {
      target = e;
      break;
    }
  }
  assert.ok(target, 'a Golmud enterprise not resumed on 2020-02-27');

  const { context: leaderCtx, page: leader } = await live.loggedIn('golmud_leader', { viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await leader.goto(`${live.base}/resumption?as_of=2020-02-27`);
  const [before] = (await leader.textContent('#resumption-parts')).split('/').map(Number);

  const { context: ctx, page } = await live.loggedIn('liaison', { viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  await page.goto(`${live.base}/enterprises/${target.id}`);
  await page.fill('input[name=report_date]', '2020-02-27');
  await page.selectOption('select[name=status]', 'resumed');
  // A plausible figure: no more on duty than the enterprise employs (odd figures are asked
  // about, in the liaison's form tests).
  await page.fill('input[name=on_duty]', String(Math.min(150, target.normal_headcount)));
  await page.fill('input[name=checks_passed]', '5');
  await page.screenshot({ path: join(shots, '20-liaison-report.png'), fullPage: true });
  await page.click('#report button[type=submit]');
  await page.waitForURL(/done=filed/);
  assert.match(await page.textContent('main'), /日报已提交/);

  await leader.goto(`${live.base}/resumption?as_of=2020-02-27`);
  const [after] = (await leader.textContent('#resumption-parts')).split('/').map(Number);
  assert.equal(after, before + 1);
  // The charts are drawn from the embedded ECharts, and the trend ends on the rate shown.
  await leader.waitForSelector('#trend-chart[data-drawn] svg');
  await leader.waitForSelector('#side-chart[data-drawn] svg');
  const trend = JSON.parse(await leader.textContent('#trend-chart script[type="application/json"]'));
  assert.equal(trend.series[0].data.at(-1), parseFloat(await leader.textContent('#resumption-rate')));
  await leader.screenshot({ path: join(shots, '21-leader-rate.png'), fullPage: true });
  await ctx.close();
  await leaderCtx.close();
});
