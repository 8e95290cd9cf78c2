/**
 * The signed-in staff member: the token lives in this tab only (sessionStorage, never a URL);
 * `who` is the server's `GET /api/session` answer (staff number, name, role, permissions).
 */
import { createStore } from './store.js';
import { del, get, onSessionEnded, post, setToken } from './api.js';

const TOKEN_KEY = 'kiosk.session';

/** `{who, token}` while signed in, null otherwise. */
export const session = createStore(null);

export function can(who, permission) {
  return !permission || (who?.permissions ?? []).includes(permission);
}

export async function signIn(staffNumber, pin, workstation) {
  const answer = await post('/api/sessions', { staff_number: staffNumber, pin, workstation });
  setToken(answer.token);
  sessionStorage.setItem(TOKEN_KEY, answer.token);
  const who = await get('/api/session');
  session.set({ who, token: answer.token });
  return who;
}

/** Ends the session on the server too (sign-out, and the idle lock). */
export async function signOut() {
  try {
    await del('/api/session');
  } catch {
    // Already over on the server, or the server is away: the tab forgets it either way.
  }
  forget();
}

function forget() {
  setToken(null);
  sessionStorage.removeItem(TOKEN_KEY);
  session.set(null);
}

/** A tab reloaded while signed in picks its session up again if the server still has it. */
export async function restoreSession() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  setToken(token);
  try {
    const who = await get('/api/session');
    session.set({ who, token });
    return who;
  } catch {
    forget();
    return null;
  }
}

onSessionEnded(() => forget());
