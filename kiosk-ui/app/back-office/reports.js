/**
 * Reports: members by tier, card activity, points and their value, and print faults, over
 * a range of store-local days the supervisor picks. Charts and tables show the server's
 * figures as they are (amounts are its decimal strings); each table exports as CSV.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { get } from '../shared/api.js';
import { errorMessage } from '../shared/errors.js';
import { date, money, points, storeDay } from '../shared/format.js';
import { DataTable } from './data-table.js';
import { DayChart } from './chart.js';
import { CHARTS, hasActivity, shortDay, tierBars } from './chart-series.js';
import { PRESETS, presetRange, rangeProblem, rangeQuery } from './report-range.js';

const label = (key) => `backoffice.reports.col.${key}`;
/** Count columns: grouped digits on screen, the plain number in the CSV. */
const countColumns = (keys, lang) => keys.map((key) => ({ key, label: label(key), amount: true, cell: (r) => points(r[key], lang) }));

export function ReportsScreen({ store }) {
  const t = useT();
  const today = storeDay(Date.now(), store.utc_offset_minutes);
  const [range, setRange] = useState(() => presetRange('last31', today));
  const [asked, setAsked] = useState(range);
  const [reports, setReports] = useState(null);
  const [failure, setFailure] = useState(null);
  const problem = rangeProblem(range, today);

  useEffect(() => {
    let current = true;
    setFailure(null);
    const q = rangeQuery(asked);
    Promise.all([
      get('/api/reports/members'),
      get(`/api/reports/card-activity?${q}`),
      get(`/api/reports/points?${q}`),
      get(`/api/reports/print-faults?${q}`),
    ]).then(([members, activity, pointsReport, print]) => {
      if (current) setReports({ members, activity, points: pointsReport, print });
    }, (f) => current && setFailure(f));
    return () => { current = false; };
  }, [asked.from, asked.to]);

  const show = (e) => {
    e.preventDefault();
    if (!problem) setAsked(range);
  };
  const choose = (preset) => {
    const r = presetRange(preset, today);
    setRange(r);
    setAsked(r);
  };
  const day = (d) => date(d, t.lang);
  const span = reports && `${reports.activity.range.from}-${reports.activity.range.to}`;

  return html`<div class="reports">
    <h2>${t('backoffice.reports.title')}</h2>
    <form class="range" onSubmit=${show} aria-label=${t('backoffice.range.label')}>
      <div class="presets" role="group" aria-label=${t('backoffice.range.presets')}>
        ${PRESETS.map((p) => html`<button type="button" onClick=${() => choose(p)}>${t(`backoffice.range.${p}`)}</button>`)}
      </div>
      <label>${t('backoffice.range.from')}
        <input type="date" name="from" value=${range.from} max=${today} aria-invalid=${problem?.field === 'from'}
          onInput=${(e) => setRange({ ...range, from: e.currentTarget.value })} /></label>
      <label>${t('backoffice.range.to')}
        <input type="date" name="to" value=${range.to} max=${today} aria-invalid=${problem?.field === 'to'}
          onInput=${(e) => setRange({ ...range, to: e.currentTarget.value })} /></label>
      <button type="submit" disabled=${!!problem}>${t('backoffice.range.show')}</button>
      ${problem && html`<p class="refusal" role="alert">${t(problem.key)}</p>`}
    </form>
    ${failure && html`<p class="refusal" role="alert">${errorMessage(t, failure)}</p>`}
    ${!reports && !failure && html`<p aria-live="polite">${t('backoffice.loading')}</p>`}
    ${reports && html`
      <p class="range-shown">${t('backoffice.reports.range', { from: day(reports.activity.range.from), to: day(reports.activity.range.to) })}</p>
      <${MembersByTier} report=${reports.members} />
      <${CardActivity} report=${reports.activity} span=${span} />
      <${Points} report=${reports.points} span=${span} />
      <${PrintFaults} report=${reports.print} span=${span} />`}
  </div>`;
}

function MembersByTier({ report }) {
  const t = useT();
  const bars = tierBars(report.tiers);
  return html`<section class="report" aria-labelledby="report-members">
    <h3 id="report-members">${t('backoffice.reports.members', { day: date(report.as_of, t.lang), total: points(report.total, t.lang) })}</h3>
    <figure class="chart tier-bars">
      <figcaption>${t('backoffice.reports.members_chart')}</figcaption>
      <ul>${bars.map((b) => html`<li key=${b.tier}>
        <span class="bar-label">${t(`backoffice.tier.${b.tier}`)}</span>
        <span class="bar" data-tier=${b.tier} style=${{ width: `${b.percent}%` }}></span>
        <span class="bar-value">${points(b.total, t.lang)}</span></li>`)}</ul>
    </figure>
    <${DataTable} caption=${t('backoffice.reports.members_table')} exportName=${['members-by-tier', report.as_of]}
      rows=${report.tiers.map((r) => ({ ...r, key: r.tier }))}
      columns=${[{ key: 'tier', label: label('tier'), cell: (r) => t(`backoffice.tier.${r.tier}`), csv: (r) => t(`backoffice.tier.${r.tier}`) },
        ...countColumns(['active', 'inactive', 'blocked', 'total'], t.lang)]} />
  </section>`;
}

function useDayColumn() {
  const t = useT();
  return { key: 'day', label: label('day'), cell: (r) => date(r.day, t.lang) };
}

function CardActivity({ report, span }) {
  const t = useT();
  const keys = ['enrolled', 'upgraded', 'downgraded', 'renewed', 'inactivated', 'reactivated', 'loss_reported', 'replaced', 'card_events'];
  const series = useMemo(() => CHARTS.cardActivity.map((key) => ({ key, label: t(label(key)) })), [t]);
  return html`<section class="report" aria-labelledby="report-activity">
    <h3 id="report-activity">${t('backoffice.reports.activity')}</h3>
    <${Chart} title=${t('backoffice.reports.activity_chart')} days=${report.days} series=${series} />
    <${DataTable} caption=${t('backoffice.reports.activity_table')} exportName=${['card-activity', span]}
      rows=${report.days} columns=${[useDayColumn(), ...countColumns(keys, t.lang)]} />
  </section>`;
}

function Points({ report, span }) {
  const t = useT();
  const moves = useMemo(() => ['issued', 'redeemed'].map((key) => ({ key, label: t(label(key)) })), [t]);
  const owed = useMemo(() => CHARTS.liability.map((key) => ({ key, label: t(label(key)) })), [t]);
  return html`<section class="report" aria-labelledby="report-points">
    <h3 id="report-points">${t('backoffice.reports.points')}</h3>
    <div class="chart-pair">
      <${Chart} title=${t('backoffice.reports.points_chart')} days=${report.days} series=${moves} />
      <${Chart} title=${t('backoffice.reports.liability_chart')} days=${report.days} series=${owed}
        formatValue=${(v) => money(v.toFixed(2), t.lang)} />
    </div>
    <${DataTable} caption=${t('backoffice.reports.points_table')} exportName=${['points', span]} rows=${report.days}
      columns=${[useDayColumn(), ...countColumns(['issued', 'redeemed', 'outstanding'], t.lang),
        { key: 'liability', label: label('liability'), amount: true, cell: (r) => money(r.liability, t.lang) }]} />
  </section>`;
}

function PrintFaults({ report, span }) {
  const t = useT();
  const series = useMemo(() => CHARTS.printFaults.map((key) => ({ key, label: t(label(key)) })), [t]);
  return html`<section class="report" aria-labelledby="report-print">
    <h3 id="report-print">${t('backoffice.reports.print')}</h3>
    <${Chart} title=${t('backoffice.reports.print_chart')} days=${report.days} series=${series} />
    <${DataTable} caption=${t('backoffice.reports.print_table')} exportName=${['print-jobs', span]} rows=${report.days}
      columns=${[useDayColumn(), ...countColumns(CHARTS.printFaults, t.lang)]} />
    <${DataTable} caption=${t('backoffice.reports.faults_table')} exportName=${['print-faults', span]}
      empty="backoffice.reports.no_faults" rows=${report.open_faults}
      columns=${[useDayColumn(), { key: 'workstation', label: label('workstation') },
        { key: 'fault', label: label('fault'), cell: (r) => t(`backoffice.fault.${r.fault}`), csv: (r) => t(`backoffice.fault.${r.fault}`) },
        ...countColumns(['jobs'], t.lang)]} />
  </section>`;
}

/** A chart, or a line saying the range is quiet. */
function Chart({ title, days, series, formatValue }) {
  const t = useT();
  if (!hasActivity(days, series.map((s) => s.key))) {
    return html`<figure class="chart quiet"><figcaption>${title}</figcaption><p>${t('backoffice.reports.quiet')}</p></figure>`;
  }
  const formatDay = (d) => shortDay(d, t.lang);
  return html`<${DayChart} title=${title} days=${days} series=${series} formatDay=${formatDay}
    formatValue=${formatValue ?? ((v) => points(v, t.lang))} />`;
}
