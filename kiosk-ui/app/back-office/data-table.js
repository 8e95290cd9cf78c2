/**
 * A report or list table with its CSV export: every table in the back office goes through
 * here, so every one can be saved. Columns: `{key, label, cell(row)?, csv(row)?, amount?}`
 * (label a catalog key; `cell` renders, `csv` gives the exported text, default `row[key]`).
 */
import { html } from '../shared/html.js';
import { useT } from '../shared/language.js';
import { csvFileName, csvText } from '../shared/csv.js';
import { downloadText } from '../shared/download.js';

export function DataTable({ caption, columns, rows, exportName, empty = 'backoffice.table.empty' }) {
  const t = useT();
  const save = () => {
    const csvColumns = columns.map((c) => ({ key: c.key, label: t(c.label), value: c.csv }));
    downloadText(csvFileName(...[].concat(exportName)), csvText(csvColumns, rows));
  };
  return html`<div class="data-table">
    <div class="table-head">
      <h3>${caption}</h3>
      <button type="button" onClick=${save} disabled=${rows.length === 0}
        aria-label=${t('backoffice.table.export_named', { table: caption })}>${t('backoffice.table.export')}</button>
    </div>
    <div class="table-scroll">
      <table>
        <caption class="visually-hidden">${caption}</caption>
        <thead><tr>${columns.map((c) => html`<th scope="col" class=${c.amount ? 'amount' : undefined}>${t(c.label)}</th>`)}</tr></thead>
        <tbody>
          ${rows.length === 0 && html`<tr><td colspan=${columns.length}>${t(empty)}</td></tr>`}
          ${rows.map((row, i) => html`<tr key=${row.key ?? i}>${columns.map((c) => html`<td class=${c.amount ? 'amount' : undefined}>
            ${c.cell ? c.cell(row) : row[c.key]}</td>`)}</tr>`)}
        </tbody>
      </table>
    </div>
  </div>`;
}
