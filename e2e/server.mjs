// What every browser test needs: the real binary serving the demo on a fresh SQLite file,
// Debian's headless Chromium, and a login on the form. Where scripts/e2e.sh has made the demo
// once for the run (DUALTRACK_DEMO_TEMPLATE), a server started with no extra arguments serves
// a copy of it, which starts in a second where loading the demo takes ten.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const shots = join(here, 'screenshots');

/** The demo accounts, read from where the demo defines them. */
export const accounts = [...readFileSync(join(here, '../crates/service/src/demo/mod.rs'), 'utf8')
  .split('pub const ACCOUNTS')[1]
  .split('];')[0]
  .matchAll(/\(\s*"([a-z_]+)",\s*"[^"]+",\s*"\d+",\s*"[a-z_]+",?\s*\)/g)].map((m) => m[1]);
mkdirSync(shots, { recursive: true });

/** Starts `dualtrack serve --demo` on a free port with extra arguments; resolves to { proc, url }. */
export function startServer(extra = []) {
  const bin = process.env.DUALTRACK_BIN;
  assert.ok(bin, 'DUALTRACK_BIN must name the dualtrack binary');
  const dir = mkdtempSync(join(tmpdir(), 'dualtrack-e2e-'));
  const db = join(dir, 'e2e.db');
  const template = process.env.DUALTRACK_DEMO_TEMPLATE;
  if (template && extra.length === 0) {
    // The database file and the keys kept beside it (the clean stop left no log to copy).
    for (const part of ['', '.audit-key', '.data-key']) {
      if (existsSync(template + part)) copyFileSync(template + part, db + part);
    }
  }
  const proc = spawn(bin, ['serve', '--demo', '--db', `sqlite://${db}`, '--listen', '127.0.0.1:0', ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The database lives as long as the server: nothing is left behind in the temporary folder.
  proc.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 60000);
    proc.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/已启动：(http:\/\/[0-9.:]+)\//);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1] });
      }
    });
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

/** Debian's headless Chromium with the flags this closed network needs. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/** Logs in on the form with the demo password and waits for the home page. */
export async function login(page, base, username) {
  await page.goto(`${base}/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', 'Haixi@2020');
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
}

/**
 * The demo served and the browser open for the tests of one file: started before them and
 * stopped after. The returned object holds `base` (the server's address) and `browser` once
 * they run, and opens pages logged in.
 */
export function liveDemo(extra = []) {
  const live = {
    /** A new browser context with these options and a page in it, logged in as `username`. */
    async loggedIn(username, options) {
      const context = await live.browser.newContext(options);
      const page = await context.newPage();
      await login(page, live.base, username);
      return { context, page };
    },
  };
  before(async () => {
    ({ proc: live.server, url: live.base } = await startServer(extra));
    live.browser = await launchBrowser();
  });
  after(async () => {
    await live.browser?.close();
    live.server?.kill('SIGTERM');
  });
  return live;
}
