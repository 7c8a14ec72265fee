// The smallest live-page server that still does what the app's timeline does on the wire: events
// arrive as HTTP POSTs, are batched for BATCH_MS, and each page gets one WebSocket message per batch
// with every new row. With ACK=1 a page gets its next batch only after it acknowledged the previous
// one (the app's backpressure); without, batches are pushed regardless.
// Pages: PAGE=app links the published app's stylesheets (MudBlazor, app.css) and uses the timeline's
// row markup; PAGE=plain uses one small stylesheet; PAGE=snapshot serves the file SNAPSHOT names (the
// app's own timeline page, saved by snapshot.js) with the same row script.
'use strict';
const http = require('http');
const fs = require('fs');
const path = require('path');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 5300);
const batchMs = Number(process.env.BATCH_MS || 50);
const acks = process.env.ACK === '1';
const assets = process.env.APP_WWWROOT || path.join(__dirname, '../live/bin/app/wwwroot');
const appPage = process.env.PAGE !== 'plain';

const head = appPage
  ? '<link rel=stylesheet href="/_content/MudBlazor/MudBlazor.min.css"><link rel=stylesheet href="/app.css"><link rel=stylesheet href="/Dashboard.App.styles.css">'
  : '<style>body{font:14px system-ui;margin:0}.entry{padding:6px 12px;border-top:1px solid #ddd;contain:layout style paint}.status-chip{background:#1976d2;color:#fff;border-radius:8px;padding:0 6px;margin:0 6px}.meta{color:#666;font-size:12px;margin-left:6px}</style>';

// PAGE=snapshot: the app's own timeline page as a browser showed it (saved by snapshot.js, scripts removed),
// so the floor pays for the real layout, filters, lane picture and rows, and only the delivery differs.
const snapshot = process.env.PAGE === 'snapshot' ? fs.readFileSync(process.env.SNAPSHOT, 'utf8') : null;

// The rows are the app's timeline row markup (App/Components/Shared/TimelineRows.cs), inserted with one
// insertAdjacentHTML per delivery; the page keeps 50.
const script = `<script>
const list = document.querySelector('[data-testid=timeline-list]');
const rows = list.getElementsByClassName('entry');
const row = id => '<div class="entry" data-testid="timeline-entry" data-entry-id="' + id + '" data-status="in_progress">'
  + '<span class="when mono" title="2026-11-25 00:56:22Z">00:56:22<small>Nov 25</small></span><span class="status-chip chip-info" data-status="in_progress">in progress</span>'
  + '<span class="source">changes</span><span class="title user-text" data-testid="entry-title">lb ' + id + ' started</span>'
  + '<span class="meta"><b>lb</b> ' + id + '<span class="mono">prod-6</span><span>by bench</span></span></div>';
if (!rows.length) { let seed = ''; for (let i = 0; i < 50; i++) seed += row('seed ' + i); list.innerHTML = seed; }
const ws = new WebSocket('ws://' + location.host + '/ws');
ws.onmessage = m => {
  let html = ''; const ids = m.data.split(','); for (let i = ids.length - 1; i >= 0; i--) html += row(ids[i]);
  list.insertAdjacentHTML('afterbegin', html);
  while (rows.length > 50) rows[rows.length - 1].remove();
  if (${acks}) ws.send('ack');
};
window.__ready = new Promise(r => ws.onopen = r);
</script>`;

// Without a snapshot, a header block stands in for the title, filters and lanes above the list.
const page = snapshot ? snapshot.replace('</body>', script + '</body>') : `<!doctype html><html><head><meta charset=utf-8>${head}</head><body class="mud-typography">
<div style="padding:24px"><h1 class="mud-typography mud-typography-h4">Timeline</h1>
<div class="panel pa-3 mb-4" style="height:260px">filters and lanes</div>
<div class="panel px-3 py-1 timeline-list" data-testid="timeline-list"></div></div>
${script}</body></html>`;

const types = { '.css': 'text/css' };
const server = http.createServer((req, res) => {
  const url = req.url.split('?')[0];
  if (req.method === 'POST' && url === '/event') {
    let body = '';
    req.on('data', c => body += c);
    req.on('end', () => { pending.push(body); res.end('ok'); });
    return;
  }
  if (url === '/') { res.setHeader('content-type', 'text/html'); return res.end(page); }
  const file = path.join(assets, path.normalize(url));
  if (!file.startsWith(assets) || !types[path.extname(file)] || !fs.existsSync(file)) { res.statusCode = 404; return res.end(); }
  res.setHeader('content-type', types[path.extname(file)]);
  res.end(fs.readFileSync(file));
});

const wss = new WebSocketServer({ server, path: '/ws' });
let pending = [];
wss.on('connection', c => { c.queue = []; c.waiting = false; c.on('message', () => { c.waiting = false; }); });
setInterval(() => {
  const batch = pending; pending = [];
  for (const c of wss.clients) {
    c.queue.push(...batch);
    if (c.queue.length === 0 || (acks && c.waiting)) continue;
    c.send(c.queue.join(',')); c.queue = []; c.waiting = acks;
  }
}, batchMs);
server.listen(port, '127.0.0.1');
