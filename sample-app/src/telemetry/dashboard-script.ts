/**
 * The dashboard's browser script (plain ES2020, no build step): polls `/dashboard/data` every
 * second and redraws tiles, bars and uPlot charts.
 */
export const DASHBOARD_SCRIPT = String.raw`
(() => {
  const $ = (id) => document.getElementById(id);
  const fmt = new Intl.NumberFormat('en-US');
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
  const pct = (r) => (r * 100).toFixed(1) + '%';
  const count = (n, one, many) => fmt.format(n) + ' ' + (n === 1 ? one : many);
  const ms = (v) => (v == null ? '–' : v < 1 ? v.toFixed(3) : v.toFixed(1));
  const charts = {};
  const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

  function chart(id, series, colors) {
    const el = $(id);
    return new uPlot({
      width: el.clientWidth, height: 180,
      legend: { live: false },
      axes: [
        { stroke: '#8b98a9', grid: { stroke: '#243041' }, ticks: { stroke: '#243041' }, space: 90,
          values: (u, splits) => splits.map((v) => clock.format(new Date(v * 1000))) },
        { stroke: '#8b98a9', grid: { stroke: '#243041' }, ticks: { stroke: '#243041' }, size: 50 },
      ],
      series: [{}, ...series.map((label, i) => ({
        label, stroke: colors[i], width: 2, fill: colors[i] + '22', spanGaps: true,
      }))],
      scales: { x: { time: true } },
      cursor: { drag: { x: false, y: false } },
    }, [[], ...series.map(() => [])], el);
  }

  function setupCharts() {
    charts.ops = chart('chart-ops', ['ops/s'], ['#58a6ff']);
    charts.latency = chart('chart-latency', ['mean', 'p95'], ['#3fb950', '#d29922']);
    charts.keys = chart('chart-keys', ['keys', 'expiring'], ['#bc8cff', '#58a6ff']);
    // Each chart follows the width of its card (the grid settles after the first layout).
    const resize = new ResizeObserver(() => {
      for (const [name, c] of Object.entries(charts)) {
        c.setSize({ width: $('chart-' + name).clientWidth, height: 180 });
      }
    });
    for (const name of Object.keys(charts)) resize.observe($('chart-' + name));
  }

  function renderBatches(batches) {
    if (batches.length === 0) {
      $('batches').innerHTML = '<div class="empty">No batch yet: POST /batches {"name": "..."}</div>';
      return;
    }
    $('batches').innerHTML = batches.map((b) => {
      const done = b.processed + b.failed;
      const scale = Math.max(b.total ?? done, done, 1);
      const of = b.total == null ? fmt.format(done) + ' items' : fmt.format(done) + ' / ' + fmt.format(b.total);
      const share = b.total == null ? '' : ' · ' + pct(done / Math.max(b.total, 1));
      return '<div class="row batch" data-batch-id="' + esc(b.id) + '">' +
        '<div class="top"><span class="name" title="' + esc(b.id) + '">' + esc(b.name) + '</span>' +
        '<span class="figures">' + of + share + (b.failed ? ' · ' + fmt.format(b.failed) + ' failed' : '') + '</span></div>' +
        '<div class="bar"><span class="ok" style="width:' + (b.processed / scale * 100) + '%"></span>' +
        '<span class="bad" style="width:' + (b.failed / scale * 100) + '%"></span></div></div>';
    }).join('');
  }

  function renderMethods(cached) {
    const entries = Object.entries(cached.methods);
    if (entries.length === 0) {
      $('methods').innerHTML = '<div class="empty">No @Cached call yet</div>';
      return;
    }
    $('methods').innerHTML = entries.map(([method, c]) => {
      const calls = c.hits + c.misses + c.coalesced;
      const ratio = calls === 0 ? 0 : c.hits / calls;
      return '<div class="row method" data-method="' + esc(method) + '">' +
        '<div class="top"><span class="name">' + esc(method) + '</span>' +
        '<span class="figures"><b class="ratio">' + pct(ratio) + '</b> · ' + count(c.hits, 'hit', 'hits') + ' · ' +
        count(c.misses, 'miss', 'misses') + ' · ' + fmt.format(c.coalesced) + ' coalesced</span></div>' +
        '<div class="bar"><span class="hit" style="width:' + ratio * 100 + '%"></span></div></div>';
    }).join('');
    const calls = cached.hits + cached.misses + cached.coalesced;
    $('tile-hit').textContent = calls === 0 ? '–' : pct(cached.hits / calls);
  }

  function renderHistory(history, telemetry) {
    const last = history[history.length - 1];
    $('tile-keys').textContent = last && last.keys != null ? fmt.format(last.keys) : '–';
    $('tile-expiring').textContent = last && last.expiringKeys != null ? fmt.format(last.expiringKeys) : '–';
    $('tile-ops').textContent = last ? fmt.format(Math.round(last.opsPerSecond)) : '–';
    $('tile-mean').textContent = last ? ms(last.meanMs) : '–';
    $('tile-p95').textContent = last ? ms(last.p95Ms) : '–';
    const t = history.map((s) => s.t);
    charts.ops.setData([t, history.map((s) => s.opsPerSecond)]);
    charts.latency.setData([t, history.map((s) => s.meanMs), history.map((s) => s.p95Ms)]);
    charts.keys.setData([t, history.map((s) => s.keys), history.map((s) => s.expiringKeys)]);
    $('note').textContent = telemetry
      ? 'Charts: the app\'s OpenTelemetry metrics (the same ones GET /metrics serves), sampled every second, last 5 minutes. p95 is the upper bound of its histogram bucket.'
      : 'The OpenTelemetry SDK is not running: batches and hit ratios still update, the charts stay empty.';
  }

  let lastOk = 0;
  async function refresh() {
    try {
      const response = await fetch('/dashboard/data', { cache: 'no-store' });
      if (!response.ok) throw new Error(response.status);
      const data = await response.json();
      $('backend').textContent = data.backend;
      renderBatches(data.batches);
      renderMethods(data.cached);
      renderHistory(data.history, data.telemetry);
      lastOk = Date.now();
      document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    } catch (error) {
      // The next poll tries again; the dot turns red meanwhile.
    }
    const age = lastOk === 0 ? null : Math.round((Date.now() - lastOk) / 1000);
    $('dot').classList.toggle('stale', age === null || age > 3);
    $('updated').textContent = age === null ? 'no data' : age <= 1 ? 'live' : 'updated ' + age + ' s ago';
  }

  setupCharts();
  refresh();
  setInterval(refresh, 1000);
})();
`;
