/**
 * The status bar every workstation shows, signed in or not: the workstation, signed-in staff
 * and role, the store server, head office (the sync), this workstation's card reader and printer (live while signed
 * in: they are followed with the session), progress
 * when a call takes over 200 ms, the language switch, and "lock" while signed in.
 */
import { html } from './html.js';
import { useT } from './language.js';
import { useStore } from './store.js';
import { connection } from './api.js';
import { useReader } from './reader.js';
import { health, printers } from './monitor.js';
import { printerState, readerState, syncState } from './status.js';
import { LanguageSwitch } from './language-switch.js';

export function StatusBar({ store, workstation, who }) {
  const t = useT();
  const link = useStore(connection);
  const reader = useReader();
  const printerAnswer = useStore(printers);
  // Head office: shown whenever the store syncs (not configured: nothing to show).
  const sync = syncState(useStore(health));
  // The reader and the printers are followed with the session: signed out, not known.
  const readerNow = who ? readerState(workstation, reader) : null;
  const printerNow = who ? printerState(printerAnswer, workstation.id) : null;
  const server = link.reachable ? 'ok' : 'down';
  // The page's heading while working; at sign-in the form's title is.
  const place = `${t(`workstation.kind.${workstation.kind}`)} ${workstation.id}`;
  return html`<div class="status-bar">
    ${who ? html`<h1 class="store" title=${store.store_name}>${place}</h1>` : html`<span class="store">${place}</span>`}
    ${who && html`<span class="staff">${t('status.staff', { name: who.name, role: t(`role.${who.role}`) })}</span>`}
    <span class="devices" role="status">
      <span class="server" data-state=${server}>${t(`status.server.${server}`)}</span>
      ${readerNow && html`<span class="reader" data-state=${readerNow}>${t(`status.reader.${readerNow}`)}</span>`}
      ${printerNow && html`<span class="printer" data-state=${printerNow}>${t(`status.printer.${printerNow}`)}</span>`}
      ${sync && html`<span class="sync" data-state=${sync.state}>${t(`status.sync.${sync.state}`)}${sync.backlog > 0 ? ` · ${t('status.sync.backlog', { count: sync.backlog, minutes: sync.lagMinutes })}` : ''}</span>`}
    </span>
    <span class="progress" role="status">${link.busy && html`<span class="spinner" aria-hidden="true"></span>${t('status.working')}`}</span>
    <${LanguageSwitch} />
  </div>`;
}
