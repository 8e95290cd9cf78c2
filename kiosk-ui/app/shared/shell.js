/**
 * The frame every workstation works in: the training marker, the status bar (always, the
 * sign-in screen included), sign-in, the navigation between the workstation's screens (those
 * the staff member's role allows), the training card tray, and the idle lock. Screens stay
 * mounted once opened, so switching screens or locking the kiosk keeps the work on them for
 * the same staff member; "sign in as someone else" discards it. The shell also runs the
 * background polls (server health always, printers while signed in).
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { useT } from './language.js';
import { useStore } from './store.js';
import { can, restoreSession, session, signOut } from './session.js';
import { followReader } from './reader.js';
import { watchPrinters, watchServer } from './monitor.js';
import { currentWorkstation } from './actions.js';
import { SignIn } from './sign-in.js';
import { StatusBar } from './status-bar.js';
import { IdleLock } from './idle-lock.js';
import { TrainingMarker, CardTray } from './training.js';

/** Runs `watch(signal)` while `active`, stopping it when the component leaves or `deps` change. */
function useWatch(watch, active, deps) {
  useEffect(() => {
    if (!active) return undefined;
    const stop = new AbortController();
    watch(stop.signal);
    return () => stop.abort();
  }, deps);
}

export function Shell({ store, workstation, screens }) {
  const t = useT();
  const current = useStore(session);
  const [restoring, setRestoring] = useState(true);
  const [active, setActive] = useState(null);
  const [opened, setOpened] = useState(new Set());
  // Who the screens' work belongs to: kept while locked; another staff member starts afresh.
  const [owner, setOwner] = useState(null);

  useEffect(() => {
    currentWorkstation.set(workstation);
  }, [workstation]);

  useEffect(() => {
    restoreSession().finally(() => setRestoring(false));
  }, []);

  useWatch(watchServer, true, []);
  useWatch(watchPrinters, !!current, [current?.token]);
  useWatch((signal) => followReader(workstation.id, signal), !!current && workstation.reader,
    [current?.token, workstation.id]);

  const who = current?.who ?? null;
  useEffect(() => {
    if (!who) return;
    if (owner?.staff_number !== who.staff_number) {
      setOpened(new Set());
      setActive(null);
    }
    setOwner(who);
  }, [who]);
  // While locked the owner's screens stay mounted (hidden), with the owner as their `who`.
  const worker = who ?? owner;
  const allowed = screens.filter((s) => can(worker, s.permission));
  const shown = active && allowed.some((s) => s.id === active) ? active : allowed[0]?.id ?? null;
  useEffect(() => {
    if (shown && !opened.has(shown)) setOpened(new Set([...opened, shown]));
  }, [shown]);

  if (restoring) return html`<p class="booting">${t('app.starting')}</p>`;
  const context = { store, workstation, who: worker };
  return html`<div class="shell">
    <header>
      ${store.training && html`<${TrainingMarker} />`}
      <${StatusBar} store=${store} workstation=${workstation} who=${who} />
    </header>
    ${store.training && workstation.reader && who && can(who, 'card.lookup') && html`<${CardTray} ...${context} />`}
    ${owner && html`<div class="work" hidden=${!who}>
      <nav class="screens" aria-label=${t('nav.label')}>
        ${allowed.map((s) => html`<button type="button" key=${s.id} aria-current=${s.id === shown ? 'page' : undefined}
          onClick=${() => setActive(s.id)}>${t(s.title)}</button>`)}
        <button type="button" class="lock-now" onClick=${() => signOut()}>${t('status.lock_now')}</button>
      </nav>
      <main>
        ${allowed.length === 0 && html`<p>${t('nav.nothing_allowed')}</p>`}
        ${allowed.filter((s) => opened.has(s.id) || s.id === shown).map((s) => html`<section key=${s.id}
          class="screen" hidden=${s.id !== shown} aria-label=${t(s.title)}>
          <${s.view} ...${context} />
        </section>`)}
      </main>
    </div>`}
    ${!who && html`<main class=${owner ? 'sign-in-screen locked' : 'sign-in-screen'}>
      <${SignIn} key=${owner?.staff_number ?? ''} workstation=${workstation} storeName=${store.store_name}
        lockedFor=${owner?.staff_number ?? null} lockedName=${owner?.name ?? null} />
      ${owner && html`<button type="button" class="switch-user" onClick=${() => setOwner(null)}>${t('lock.switch_user')}</button>`}
    </main>`}
    ${who && html`<${IdleLock} minutes=${store.session_idle_minutes} />`}
  </div>`;
}
