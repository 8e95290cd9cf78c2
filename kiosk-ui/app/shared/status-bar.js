/** The status bar every workstation shows: staff and role, store server, card reader, printer. */
import { html } from './html.js';
import { useT } from './language.js';
import { useStore } from './store.js';
import { connection } from './api.js';
import { useReader } from './reader.js';

export function StatusBar({ store, workstation, who }) {
  const t = useT();
  const link = useStore(connection);
  const reader = useReader();
  const readerState = !workstation.reader ? 'none'
    : !reader.connected ? 'disconnected'
      : reader.reading ? 'reading'
        : reader.cardPresent ? 'card' : 'empty';
  return html`<header class="status-bar" role="status" aria-live="polite">
    <span class="store">${store.store_name} · ${workstation.id}</span>
    ${who && html`<span class="staff">${t('status.staff', { name: who.name, role: t(`role.${who.role}`) })}</span>`}
    <span class="server" data-state=${link.reachable ? 'ok' : 'down'}>${t(link.reachable ? 'status.server.ok' : 'status.server.down')}</span>
    <span class="reader" data-state=${readerState}>${t(`status.reader.${readerState}`)}</span>
    ${link.busy && html`<span class="progress" role="progressbar" aria-label=${t('status.working')}>${t('status.working')}</span>`}
  </header>`;
}
