import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'app');
const folders = readdirSync(app, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(app, d.name, 'messages')))
  .map((d) => d.name);
const load = (folder, lang) => JSON.parse(readFileSync(join(app, folder, 'messages', `${lang}.json`), 'utf8'));
const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every folder has both catalogs with the same keys', () => {
  assert.ok(folders.includes('shared'));
  for (const folder of folders) {
    const zh = load(folder, 'zh');
    const en = load(folder, 'en');
    assert.deepEqual(Object.keys(zh).sort(), Object.keys(en).sort(), `${folder}: zh and en keys differ`);
    for (const key of Object.keys(zh)) {
      assert.ok(zh[key].trim() && en[key].trim(), `${folder}: ${key} is empty`);
      assert.deepEqual(placeholders(zh[key]), placeholders(en[key]), `${folder}: ${key} placeholders differ`);
    }
  }
});

test('no key is defined in two folders (they are merged at load)', () => {
  const seen = new Map();
  for (const folder of folders) {
    for (const key of Object.keys(load(folder, 'en'))) {
      assert.ok(!seen.has(key), `${key} is in ${seen.get(key)} and ${folder}`);
      seen.set(key, folder);
    }
  }
});
