/**
 * The idle lock: after the session's idle limit without a key, a tap or a card, the kiosk
 * locks (the server session is ended; the screens stay mounted with their work for the same
 * staff member). A warning with a countdown shows 30 s before; any key or tap dismisses it,
 * and that key does nothing else. Timing is idle.js.
 */
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { useT } from './language.js';
import { reader } from './reader.js';
import { signOut } from './session.js';
import { idleLimitMs, idlePhase } from './idle.js';

const ACTIVITY = ['keydown', 'pointerdown', 'wheel'];

export function IdleLock({ minutes }) {
  const t = useT();
  const [now, setNow] = useState({ phase: 'active', secondsLeft: 0 });
  useEffect(() => {
    const limit = idleLimitMs(minutes);
    let last = Date.now();
    let warning = false;
    let locked = false;
    // Where the operator was when the warning took the focus: given back when it goes.
    let focused = null;
    const check = () => {
      const next = idlePhase(last, Date.now(), limit);
      const warns = next.phase === 'warning';
      if (warns && !warning) focused = document.activeElement;
      if (!warns && warning && next.phase === 'active') setTimeout(() => focused?.focus?.(), 0);
      warning = warns;
      if (next.phase === 'locked' && !locked) {
        locked = true;
        signOut();
      }
      setNow(next);
    };
    const touch = (e) => {
      if (warning && e?.type === 'keydown') {
        // The key that dismisses the warning must not also act on the screen under it.
        e.preventDefault();
        e.stopPropagation();
      }
      last = Date.now();
      check();
    };
    ACTIVITY.forEach((name) => window.addEventListener(name, touch, true));
    // A card put in or taken out of this workstation's reader is someone working too.
    let cardPresent = reader.get().cardPresent;
    const unsubscribe = reader.subscribe((r) => {
      if (r.cardPresent !== cardPresent) touch();
      cardPresent = r.cardPresent;
    });
    const timer = setInterval(check, 1000);
    return () => {
      clearInterval(timer);
      unsubscribe();
      ACTIVITY.forEach((name) => window.removeEventListener(name, touch, true));
    };
  }, [minutes]);
  if (now.phase !== 'warning') return null;
  return html`<div class="idle-warning" role="alertdialog" aria-modal="true"
    aria-labelledby="idle-title" aria-describedby="idle-text">
    <div class="idle-box">
      <h2 id="idle-title">${t('idle.title')}</h2>
      <p id="idle-text">${t('idle.warning', { seconds: now.secondsLeft })}</p>
      <button type="button" class="primary" autoFocus>${t('idle.continue')}</button>
    </div>
  </div>`;
}
