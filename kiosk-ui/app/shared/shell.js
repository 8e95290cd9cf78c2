/**
 * The frame every workstation works in: sign-in, the status bar, the training marker, the
 * navigation between the workstation's screens (those the staff member's role allows), and
 * the idle lock. Screens stay mounted once opened, so switching screens or locking the
 * kiosk keeps the work on them for the same staff member.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { useT } from './language.js';
import { useStore } from './store.js';
import { can, restoreSession, session } from './session.js';
import { followReader } from './reader.js';
import { folderOf } from './workstation.js';
import { SignIn } from './sign-in.js';
import { StatusBar } from './status-bar.js';
import { IdleLock } from './idle-lock.js';
import { TrainingMarker, CardTray } from './training.js';

export function Shell({ store, workstation }) {
  const t = useT();
  const current = useStore(session);
  const [restoring, setRestoring] = useState(true);
  const [screens, setScreens] = useState([]);
  const [active, setActive] = useState(null);
  const [opened, setOpened] = useState(new Set());
  // Who the screens' work belongs to: another staff member signing in starts afresh.
  const [owner, setOwner] = useState(null);

  useEffect(() => {
    restoreSession().finally(() => setRestoring(false));
  }, []);

  useEffect(() => {
    const folder = folderOf(workstation.kind);
    if (folder) import(`../${folder}/index.js`).then((m) => setScreens(m.screens));
  }, [workstation.kind]);

  useEffect(() => {
    if (!current || !workstation.reader) return undefined;
    const stop = new AbortController();
    followReader(workstation.id, stop.signal);
    return () => stop.abort();
  }, [current?.token, workstation.id]);

  const who = current?.who ?? null;
  useEffect(() => {
    if (!who) return;
    if (owner?.staff_number !== who.staff_number) {
      setOpened(new Set());
      setActive(null);
    }
    setOwner(who);
  }, [who]);
  // While locked the owner's screens stay mounted (hidden under the lock).
  const allowed = screens.filter((s) => can(who ?? owner, s.permission));
  const shown = active && allowed.some((s) => s.id === active) ? active : allowed[0]?.id ?? null;
  useEffect(() => {
    if (shown && !opened.has(shown)) setOpened(new Set([...opened, shown]));
  }, [shown]);

  if (restoring) return html`<p class="booting">${t('app.starting')}</p>`;
  const context = { store, workstation, who };
  const work = owner && html`<div class="shell" data-locked=${!who}>
    ${store.training && html`<${TrainingMarker} />`}
    <${StatusBar} ...${context} />
    ${who && html`<nav class="screens" aria-label=${t('nav.label')}>
      ${allowed.map((s) => html`<button type="button" key=${s.id} aria-current=${s.id === shown ? 'page' : undefined}
        onClick=${() => setActive(s.id)}>${t(s.title)}</button>`)}
    </nav>`}
    <main>
      ${allowed.length === 0 && who && html`<p>${t('nav.nothing_allowed')}</p>`}
      ${allowed.filter((s) => opened.has(s.id) || s.id === shown).map((s) => html`<section key=${s.id}
        class="screen" hidden=${s.id !== shown} aria-label=${t(s.title)}>
        <${s.view} ...${context} />
      </section>`)}
    </main>
    ${store.training && workstation.reader && who && html`<${CardTray} ...${context} />`}
  </div>`;
  if (!who) {
    // Locked (work kept for the same staff member) or nobody signed in yet.
    return html`${work}
      <div class=${owner ? 'lock-screen' : 'sign-in-screen'}>
        <${SignIn} workstation=${workstation} lockedFor=${owner?.staff_number ?? null} onSignedIn=${() => {}} />
        ${owner && html`<button type="button" class="link" onClick=${() => setOwner(null)}>${t('lock.switch_user')}</button>`}
      </div>`;
  }
  return html`${work}<${IdleLock} minutes=${store.session_idle_minutes} />`;
}
