/** The operator's language: chosen per workstation (remembered in this browser), switched live. */
import { createStore, useStore } from './store.js';
import { DEFAULT_LANGUAGE, LANGUAGES, catalogFolders, loadCatalog, translator } from './i18n.js';

const storageKey = (workstation) => `kiosk.language.${workstation}`;
const catalogs = new Map();

/** The translator in force; components read it with `useT()`. */
export const language = createStore(translator({}, DEFAULT_LANGUAGE));

let folders = ['shared'];
let workstationId = '';

async function fetchJson(url) {
  const answer = await fetch(url, { headers: { accept: 'application/json' } });
  if (!answer.ok) throw new Error(`${url}: ${answer.status}`);
  return answer.json();
}

/** Switches to `lang` (loading its catalog once) and remembers it for this workstation. */
export async function setLanguage(lang) {
  const chosen = LANGUAGES.includes(lang) ? lang : DEFAULT_LANGUAGE;
  if (!catalogs.has(chosen)) catalogs.set(chosen, await loadCatalog(chosen, folders, fetchJson));
  try {
    localStorage.setItem(storageKey(workstationId), chosen);
  } catch {
    // Private mode or a full storage: the choice just isn't remembered.
  }
  document.documentElement.lang = chosen === 'zh' ? 'zh-CN' : 'en';
  language.set(translator(catalogs.get(chosen), chosen));
}

/** Loads the language remembered for `workstation` (default 简体中文) and its screens' catalogs. */
export async function startLanguage(workstation, kind) {
  workstationId = workstation;
  folders = catalogFolders(kind);
  let remembered = null;
  try {
    remembered = localStorage.getItem(storageKey(workstation));
  } catch {
    remembered = null;
  }
  await setLanguage(remembered ?? DEFAULT_LANGUAGE);
}

export function useT() {
  return useStore(language);
}
