// The same measurement as bench/live's timeline scenario, against server.js: N pages in Debian's
// Chromium (same flags and viewport), a MutationObserver timestamping each "lb N started" title, events
// POSTed at R per second for S seconds, latency from sending the POST to the title in the DOM.
// APP_PORT/APP_TOKEN: also send every event to the real app's BigPanda endpoint (its ingest load on
// the same cores; the latency is still measured against server.js).
'use strict';
const { chromium } = require('playwright-core');
const http = require('http');
const os = require('os');

const [pages = 20, rate = 200, seconds = 10, port = 5300] = process.argv.slice(2).map(Number);
const observer = selector => {
  window.__seen = {};
  const mark = (el, now) => { const m = /^lb (\d+) started$/.exec(el.textContent); if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = now; };
  new MutationObserver(records => {
    const now = performance.timeOrigin + performance.now();
    for (const r of records) for (const n of r.addedNodes) {
      if (n.nodeType !== 1) continue;
      if (n.matches(selector)) mark(n, now);
      for (const el of n.querySelectorAll(selector)) mark(el, now);
    }
  }).observe(document.body, { childList: true, subtree: true });
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const request = (options, body) => new Promise(done => {
  const q = http.request({ host: '127.0.0.1', agent, method: 'POST', ...options }, res => { res.resume(); res.on('end', done); });
  q.on('error', done);
  q.end(body);
});
const send = id => {
  if (process.env.APP_PORT) request({ port: Number(process.env.APP_PORT), path: '/data/events/deployments/start',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${process.env.APP_TOKEN}` } },
    JSON.stringify({ component: 'lb', version: String(id), hosts: ['prod-1'], owner: 'bench' }));
  return request({ port, path: '/event' }, String(id));
};


// TRACE=path: a Chromium trace of the whole browser while sending (the categories bench/live's trace scenario uses).
async function traced(browser, path, work) {
  const cdp = await browser.newBrowserCDPSession();
  const done = new Promise(r => cdp.on('Tracing.tracingComplete', e => r(e.stream)));
  await cdp.send('Tracing.start', { transferMode: 'ReturnAsStream', traceConfig: { includedCategories: ['devtools.timeline', 'blink', 'cc', 'viz', 'toplevel', 'v8', 'disabled-by-default-devtools.timeline'] } });
  const result = await work();
  await new Promise(r => setTimeout(r, 1000));
  await cdp.send('Tracing.end');
  const stream = await done; const fs = require('fs'); const out = fs.openSync(path, 'w');
  for (;;) { const c = await cdp.send('IO.read', { handle: stream, size: 1 << 20 }); fs.writeSync(out, c.base64Encoded ? Buffer.from(c.data, 'base64') : c.data); if (c.eof) break; }
  fs.closeSync(out); await cdp.send('IO.close', { handle: stream }); await cdp.detach();
  return result;
}
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const open = [];
  for (let i = 0; i < pages; i++) {
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.evaluate(() => window.__ready);
    await page.evaluate(observer, '[data-testid=entry-title]');
    open.push(page);
  }
  await new Promise(r => setTimeout(r, 2000));
  if (process.env.SHOT) await open[0].screenshot({ path: process.env.SHOT });
  const sent = []; const inflight = [];
  const sendAll = async () => { const start = Date.now();
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + i * 1000 / rate - Date.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    sent[i] = performance.timeOrigin + performance.now();
    inflight.push(send(i));
  }
  };
  if (process.env.TRACE) await traced(browser, process.env.TRACE, sendAll); else await sendAll();
  await Promise.all(inflight);
  await new Promise(r => setTimeout(r, 3000));
  const latencies = [];
  for (const page of open) for (const [id, at] of Object.entries(await page.evaluate(() => window.__seen))) latencies.push(at - sent[Number(id)]);
  latencies.sort((a, b) => a - b);
  const p = q => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(0) : 'NaN';
  console.log(`live floor: N=${pages} R=${rate}/s S=${seconds}s batch ${process.env.BATCH_MS || 50} ms, acks ${process.env.ACK === '1' ? 'on' : 'off'}, page ${process.env.PAGE || 'app'}${process.env.APP_PORT ? ', app ingest load on' : ''}: `
    + `p50 ${p(0.5)} ms, p90 ${p(0.9)} ms, p99 ${p(0.99)} ms; seen ${latencies.length} of ${pages * rate * seconds}; load ${os.loadavg().map(x => x.toFixed(2)).join(' ')}`);
  await browser.close();
  agent.destroy();
})();
