// Saves the app's timeline page as Chromium shows it, for server.js's PAGE=snapshot: the real layout,
// filters, lane picture and rows, with the scripts removed (the floor inserts rows itself) and the
// fingerprinted asset names of the published app turned back into the plain names server.js serves.
//   node snapshot.js http://127.0.0.1:5301 out.html     (the app signed in as admin / Dashboard__AdminPassword)
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');

const [base, out] = process.argv.slice(2);
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const page = await (await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto('/login?returnUrl=%2Ftimeline');
  await page.fill('#username', 'admin');
  await page.fill('#password', process.env.BENCH_PASSWORD || 'bench');
  await page.click('button[type=submit]');
  await page.locator('[data-testid=live-indicator][data-state=live]').waitFor();
  const html = await page.evaluate(() => {
    const copy = document.documentElement.cloneNode(true);
    copy.querySelectorAll('script, link[rel=icon]').forEach(e => e.remove());
    return '<!doctype html>' + copy.outerHTML;
  });
  fs.writeFileSync(out, html.replace(/([\w.-]+)\.[a-z0-9]{10}\.((?:styles\.)?css)\b/g, '$1.$2'));
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
