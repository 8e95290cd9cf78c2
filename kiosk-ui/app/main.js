/**
 * Boot: learn the store and which workstation this page is, load the operator's language,
 * then hand over to the shell (sign-in, status bar, the workstation's screens).
 */
import { render } from 'preact';
import { html } from './shared/html.js';
import { get } from './shared/api.js';
import { startLanguage } from './shared/language.js';
import { STORAGE_KEY, folderOf, resolveWorkstation } from './shared/workstation.js';
import { Shell } from './shared/shell.js';
import { SetUp } from './shared/set-up.js';

async function boot() {
  const root = document.getElementById('app');
  let store;
  try {
    store = await get('/api/store');
  } catch {
    root.textContent = '无法连接门店服务器 · The store server cannot be reached. Retrying…';
    setTimeout(boot, 3000);
    return;
  }
  let remembered = null;
  try {
    remembered = localStorage.getItem(STORAGE_KEY);
  } catch {
    remembered = null;
  }
  const workstation = resolveWorkstation(location.search, remembered, store.workstations);
  if (!workstation) {
    await startLanguage('set-up', null);
    render(html`<${SetUp} store=${store} />`, root);
    return;
  }
  try {
    localStorage.setItem(STORAGE_KEY, workstation.id);
  } catch {
    // Not remembered: the bookmark's ?workstation= still names it.
  }
  // The workstation's screens load while its catalogs do (one round trip, not two in a row).
  const folder = folderOf(workstation.kind);
  const [loaded] = await Promise.all([
    folder ? import(`./${folder}/index.js`) : { screens: [] },
    startLanguage(workstation.id, workstation.kind),
  ]);
  render(html`<${Shell} store=${store} workstation=${workstation} screens=${loaded.screens} />`, root);
}

boot();
