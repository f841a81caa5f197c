import { DASHBOARD_SCRIPT } from './dashboard-script.js';

/**
 * The dashboard: one self-contained page (its only asset is uPlot, served by the app from
 * node_modules) that polls `/dashboard/data` every second.
 */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kv-store dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/uPlot.min.css">
<style>
  :root {
    --bg: #0f1419; --card: #171d25; --line: #243041; --text: #e6edf3; --muted: #8b98a9;
    --blue: #58a6ff; --green: #3fb950; --red: #f85149; --amber: #d29922; --violet: #bc8cff;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text);
    font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  header { display: flex; align-items: center; gap: 12px; padding: 18px 28px;
    border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; font-weight: 600; margin: 0; }
  .pill { padding: 2px 10px; border-radius: 999px; background: #1f2a37; color: var(--blue);
    font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
  .live { margin-left: auto; color: var(--muted); font-size: 12px; display: flex; gap: 8px;
    align-items: center; }
  .dot { width: 8px; height: 8px; border-radius: 50%; background: var(--green);
    box-shadow: 0 0 0 0 rgba(63,185,80,.6); animation: pulse 2s infinite; }
  .dot.stale { background: var(--red); animation: none; }
  @keyframes pulse { 70% { box-shadow: 0 0 0 8px rgba(63,185,80,0); } }
  main { padding: 22px 28px 40px; display: grid; gap: 18px;
    grid-template-columns: repeat(12, 1fr); }
  .tile, .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
  .tile { grid-column: span 2; padding: 14px 16px; }
  .tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
    letter-spacing: .05em; }
  .tile .value { font-size: 28px; font-weight: 650; margin-top: 4px;
    font-variant-numeric: tabular-nums; }
  .tile .unit { font-size: 14px; color: var(--muted); font-weight: 500; margin-left: 2px; }
  .card { padding: 16px 18px; }
  .card h2 { margin: 0 0 12px; font-size: 13px; color: var(--muted); font-weight: 600;
    text-transform: uppercase; letter-spacing: .05em; }
  .half { grid-column: span 6; }
  .third { grid-column: span 4; }
  .row { margin: 10px 0 14px; }
  .row .top { display: flex; justify-content: space-between; gap: 12px; margin-bottom: 6px; }
  .row .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .row .figures { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
  .bar { height: 10px; border-radius: 6px; background: #222c38; overflow: hidden; display: flex; }
  .bar span { display: block; height: 100%; transition: width .4s ease; }
  .ok { background: var(--green); } .bad { background: var(--red); } .hit { background: var(--blue); }
  .empty { color: var(--muted); font-style: italic; padding: 6px 0; }
  .legend { display: flex; gap: 14px; color: var(--muted); font-size: 12px; margin-top: 4px; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
    margin-right: 5px; vertical-align: -1px; }
  .chart { min-height: 190px; overflow: hidden; }
  .note { grid-column: span 12; color: var(--muted); font-size: 12px; }
  .u-legend { font-size: 12px; color: var(--muted); }
  @media (max-width: 1100px) { .tile { grid-column: span 4; } .half, .third { grid-column: span 12; } }
</style>
</head>
<body>
<header>
  <h1>nestjs-kv-store</h1><span class="pill" id="backend">…</span>
  <div class="live"><span class="dot" id="dot"></span><span id="updated">connecting…</span></div>
</header>
<main>
  <div class="tile"><div class="label">Keys</div><div class="value" id="tile-keys">–</div></div>
  <div class="tile"><div class="label">Expiring keys</div><div class="value" id="tile-expiring">–</div></div>
  <div class="tile"><div class="label">Operations</div><div class="value"><span id="tile-ops">–</span><span class="unit">/s</span></div></div>
  <div class="tile"><div class="label">Mean latency</div><div class="value"><span id="tile-mean">–</span><span class="unit">ms</span></div></div>
  <div class="tile"><div class="label">p95 latency</div><div class="value"><span id="tile-p95">–</span><span class="unit">ms</span></div></div>
  <div class="tile"><div class="label">Cache hit ratio</div><div class="value" id="tile-hit">–</div></div>

  <section class="card half" aria-labelledby="batches-title">
    <h2 id="batches-title">Batches</h2>
    <div id="batches"></div>
    <div class="legend"><span><i class="ok"></i>processed</span><span><i class="bad"></i>failed</span></div>
  </section>
  <section class="card half" aria-labelledby="cached-title">
    <h2 id="cached-title">@Cached hit ratio per method</h2>
    <div id="methods"></div>
    <div class="legend"><span><i class="hit"></i>calls answered from the store</span></div>
  </section>

  <section class="card third"><h2>Store operations per second</h2><div class="chart" id="chart-ops"></div></section>
  <section class="card third"><h2>Latency (ms)</h2><div class="chart" id="chart-latency"></div></section>
  <section class="card third"><h2>Keys</h2><div class="chart" id="chart-keys"></div></section>
  <p class="note" id="note"></p>
</main>
<script src="/dashboard/assets/uPlot.iife.min.js"></script>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
