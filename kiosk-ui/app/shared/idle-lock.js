/** Locks the kiosk after the session's idle limit (server session ended; the screens' work kept). */
import { useEffect } from 'preact/hooks';
import { signOut } from './session.js';

export function IdleLock({ minutes }) {
  useEffect(() => {
    let last = Date.now();
    const touch = () => {
      last = Date.now();
    };
    const events = ['keydown', 'pointerdown'];
    events.forEach((e) => window.addEventListener(e, touch, true));
    const timer = setInterval(() => {
      if (Date.now() - last >= minutes * 60_000) signOut();
    }, 1000);
    return () => {
      clearInterval(timer);
      events.forEach((e) => window.removeEventListener(e, touch, true));
    };
  }, [minutes]);
  return null;
}
