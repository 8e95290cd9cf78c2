/**
 * Message catalogs: every visible string comes from the zh or en catalog by key. Catalogs are
 * flat JSON objects, one pair per folder (`shared/messages/zh.json` + `en.json`, and each
 * workstation folder's `messages/zh.json` + `en.json`), merged at load. Keys with the same
 * name in both languages are a tested invariant (test/unit/catalogs.test.js).
 */

export const LANGUAGES = ['zh', 'en'];
export const DEFAULT_LANGUAGE = 'zh';

/** Fills `{name}` placeholders; a missing parameter stays visible as `{name}`. */
export function interpolate(text, params = {}) {
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole);
}

/**
 * A translator over a merged catalog: `t(key, params)`; `t.has(key)`; `t.lang`.
 * An unknown key shows as the key itself (the catalog tests keep that from shipping).
 */
export function translator(catalog, lang) {
  const t = (key, params) => {
    const text = catalog[key];
    return text === undefined ? key : interpolate(text, params);
  };
  t.has = (key) => catalog[key] !== undefined;
  t.lang = lang;
  return t;
}

/** The catalog folders a workstation kind loads: shared first, then its own screens. */
export function catalogFolders(kind) {
  const own = { checkout: 'checkout', lounge: 'lounge', desk: 'desk', back_office: 'back-office' }[kind];
  return own ? ['shared', own] : ['shared'];
}

/** Loads and merges the catalogs of `folders` for `lang` with `fetchJson(url)`. */
export async function loadCatalog(lang, folders, fetchJson) {
  const parts = await Promise.all(folders.map((f) => fetchJson(`/app/${f}/messages/${lang}.json`)));
  return Object.assign({}, ...parts);
}
