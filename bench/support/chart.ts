import type { Outcome } from './targets.js';

/** A target's outcome with its description, as results.json keeps it. */
export interface ChartTarget extends Outcome {
  description: string;
}

/** One line of the range chart: figures in ms by store size. */
export interface RangeSeries {
  label: string;
  points: Array<{ size: number; ms: number }>;
}

const FONT = 'font-family="Helvetica, Arial, sans-serif"';
const GREEN = '#2e7d32';
const RED = '#c62828';
const SERIES_COLOURS = ['#1565c0', '#90caf9', '#ef6c00', '#ffcc80', '#6a1b9a', '#ce93d8'];

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} ${attrs}>${escapeXml(content)}</text>`;
}

/**
 * How far a target is met: 1 is exactly on target, 2 is twice as good as asked, 0.5 half as
 * good. Costs (lower is better) are turned round so that right is always better.
 */
export function margin(target: Outcome): number {
  return target.higherIsBetter ? target.ratio / target.threshold : target.threshold / target.ratio;
}

/** Horizontal bars of each target's margin on a log axis, with the target at 1. */
function targetsPanel(
  targets: readonly ChartTarget[],
  top: number,
  width: number,
): { svg: string; height: number } {
  const rowHeight = 22;
  const labelWidth = 600;
  const valueWidth = 230;
  const plotLeft = labelWidth;
  const plotWidth = width - labelWidth - valueWidth - 20;
  const lo = Math.log(0.25);
  const hi = Math.log(16);
  const xOf = (m: number): number =>
    plotLeft + ((Math.log(Math.min(16, Math.max(0.25, m))) - lo) / (hi - lo)) * plotWidth;
  const parts: string[] = [
    text(
      10,
      top + 18,
      'Targets: measured against target (log scale; right of the line: met)',
      'font-size="15" font-weight="bold"',
    ),
  ];
  const axisTop = top + 30;
  // Stripes first, so the grid lines and bars are drawn over them.
  targets.forEach((_, i) => {
    if (i % 2 === 0) {
      const y = axisTop + i * rowHeight;
      parts.push(`<rect x="0" y="${y}" width="${width}" height="${rowHeight}" fill="#f4f4f4"/>`);
    }
  });
  for (const tick of [0.25, 0.5, 1, 2, 4, 8, 16]) {
    const x = xOf(tick);
    parts.push(
      `<line x1="${x}" y1="${axisTop}" x2="${x}" y2="${axisTop + targets.length * rowHeight}" stroke="${tick === 1 ? '#000' : '#ddd'}" stroke-width="${tick === 1 ? 1.5 : 1}"/>`,
    );
    parts.push(
      text(
        x,
        axisTop + targets.length * rowHeight + 14,
        `${tick}x`,
        'font-size="11" text-anchor="middle" fill="#555"',
      ),
    );
  }
  targets.forEach((target, i) => {
    const y = axisTop + i * rowHeight;
    const m = margin(target);
    const x1 = xOf(1);
    const x2 = xOf(m);
    const colour = target.met ? GREEN : RED;
    parts.push(
      `<rect x="${Math.min(x1, x2).toFixed(1)}" y="${y + 5}" width="${Math.max(1, Math.abs(x2 - x1)).toFixed(1)}" height="${rowHeight - 10}" fill="${colour}"/>`,
    );
    const label =
      target.description.length > 92 ? `${target.description.slice(0, 89)}...` : target.description;
    parts.push(text(10, y + 15, label, 'font-size="12"'));
    parts.push(
      text(
        width - valueWidth,
        y + 15,
        `${target.met ? 'met' : 'MISSED'}: ${target.ratio.toFixed(2)} (target ${target.higherIsBetter ? '>=' : '<='} ${target.threshold})`,
        `font-size="12" fill="${colour}"`,
      ),
    );
  });
  return { svg: parts.join('\n'), height: 30 + targets.length * rowHeight + 24 };
}

/** Range time against store size, both on log axes. */
function rangePanel(
  series: readonly RangeSeries[],
  top: number,
  width: number,
): { svg: string; height: number } {
  const height = 300;
  const left = 80;
  const right = width - 260;
  const plotTop = top + 34;
  const plotBottom = top + height - 40;
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return { svg: '', height: 0 };
  const sizes = all.map((p) => p.size);
  const times = all.map((p) => p.ms);
  const xLo = Math.log10(Math.min(...sizes));
  const xHi = Math.log10(Math.max(...sizes));
  const yLo = Math.floor(Math.log10(Math.min(...times)));
  const yHi = Math.ceil(Math.log10(Math.max(...times)));
  const xOf = (size: number): number =>
    left + ((Math.log10(size) - xLo) / Math.max(1e-9, xHi - xLo)) * (right - left);
  const yOf = (ms: number): number =>
    plotBottom - ((Math.log10(ms) - yLo) / Math.max(1e-9, yHi - yLo)) * (plotBottom - plotTop);
  const parts: string[] = [
    text(
      10,
      top + 18,
      'rangeGet of 100 keys: time against store size (log axes)',
      'font-size="15" font-weight="bold"',
    ),
  ];
  for (let e = yLo; e <= yHi; e++) {
    const y = yOf(10 ** e);
    parts.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#ddd"/>`);
    parts.push(
      text(
        left - 6,
        y + 4,
        `${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)} ms`,
        'font-size="11" text-anchor="end" fill="#555"',
      ),
    );
  }
  for (const size of [...new Set(sizes)].sort((a, b) => a - b)) {
    const x = xOf(size);
    parts.push(`<line x1="${x}" y1="${plotTop}" x2="${x}" y2="${plotBottom}" stroke="#eee"/>`);
    parts.push(
      text(
        x,
        plotBottom + 16,
        `${size.toLocaleString('en-US')} keys`,
        'font-size="11" text-anchor="middle" fill="#555"',
      ),
    );
  }
  series.forEach((s, i) => {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length] as string;
    const points = [...s.points].sort((a, b) => a.size - b.size);
    const path = points
      .map((p, k) => `${k === 0 ? 'M' : 'L'}${xOf(p.size).toFixed(1)},${yOf(p.ms).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${colour}" stroke-width="2.5"/>`);
    for (const p of points)
      parts.push(
        `<circle cx="${xOf(p.size).toFixed(1)}" cy="${yOf(p.ms).toFixed(1)}" r="4" fill="${colour}"/>`,
      );
    parts.push(
      `<rect x="${right + 20}" y="${plotTop + i * 22}" width="14" height="14" fill="${colour}"/>`,
    );
    parts.push(text(right + 40, plotTop + i * 22 + 12, s.label, 'font-size="12"'));
  });
  return { svg: parts.join('\n'), height };
}

/** The chart written beside RESULTS.md: targets, then range time against store size. */
export function renderChart(
  targets: readonly ChartTarget[],
  series: readonly RangeSeries[],
  subtitle: string,
): string {
  const width = 1200;
  const charted = targets.filter((t) => Number.isFinite(t.threshold) && t.ratio > 0);
  const first = targetsPanel(charted, 30, width);
  const second = rangePanel(series, 30 + first.height + 20, width);
  const height = 30 + first.height + 20 + second.height + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    text(10, 20, subtitle, 'font-size="12" fill="#555"'),
    first.svg,
    second.svg,
    '</svg>',
    '',
  ].join('\n');
}
