/**
 * A day-by-day line chart drawn by uPlot. uPlot (and its stylesheet) is fetched the first
 * time a chart is shown, so only the reports screen pays for it. The chart follows its box's
 * width (a hidden screen has none: it is drawn when shown). The table beside each chart holds
 * the same figures for screen readers and export, so the drawing itself is hidden from them.
 */
import { useEffect, useRef } from 'preact/hooks';
import { html } from '../shared/html.js';
import { seriesData, secondsDay } from './chart-series.js';

const COLOURS = ['#8a1538', '#1a73e8', '#1e7b34', '#9a6700', '#5f6368'];

let uplot = null;

/** uPlot, loaded once: the module by the import map, its CSS by a link added now. */
function loadUplot() {
  if (!uplot) {
    document.head.append(Object.assign(document.createElement('link'),
      { rel: 'stylesheet', href: '/vendor/uplot/dist/uPlot.min.css' }));
    uplot = import('uplot').then((m) => m.default);
  }
  return uplot;
}

/** `days`: a report's rows; `series`: [{key, label}] (labels already translated). */
export function DayChart({ title, days, series, formatDay, formatValue = String }) {
  const box = useRef(null);
  useEffect(() => {
    let plot = null;
    let gone = false;
    let resize = null;
    const draw = (UPlot) => {
      const width = box.current?.clientWidth ?? 0;
      if (gone || width === 0 || plot) return;
      plot = new UPlot({
        width,
        height: 240,
        scales: { x: { time: false } },
        axes: [
          { values: (u, splits) => splits.map((s) => formatDay(secondsDay(s))), space: 80 },
          { values: (u, splits) => splits.map(formatValue), size: 70 },
        ],
        series: [
          { label: '', value: (u, v) => (v == null ? '' : formatDay(secondsDay(v))) },
          ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2,
            value: (u, v) => (v == null ? '' : formatValue(v)) })),
        ],
      }, seriesData(days, series.map((s) => s.key)), box.current);
    };
    loadUplot().then((UPlot) => {
      draw(UPlot);
      resize = new ResizeObserver(() => {
        if (plot) plot.setSize({ width: box.current?.clientWidth || plot.width, height: 240 });
        else draw(UPlot);
      });
      if (box.current && !gone) resize.observe(box.current);
    });
    return () => {
      gone = true;
      resize?.disconnect();
      plot?.destroy();
    };
  }, [days, series.map((s) => s.label).join('|')]);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div class="chart-box" ref=${box} aria-hidden="true"></div>
  </figure>`;
}
