import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const page = readFileSync(join(root, 'index.html'), 'utf8');
const importMap = JSON.parse(/<script type="importmap">([^<]*)<\/script>/.exec(page)[1]).imports;

/** The served path a module at `from` (served path) names with `specifier`. */
function resolve(specifier, from) {
  if (importMap[specifier]) return importMap[specifier];
  return posix.normalize(posix.join(posix.dirname(from), specifier));
}

/** Every module the page loads before anything else: main.js's static imports, transitively. */
function staticGraph(start) {
  const seen = new Set();
  const pending = [start];
  while (pending.length > 0) {
    const path = pending.pop();
    if (seen.has(path)) continue;
    seen.add(path);
    const file = path.startsWith('/vendor/')
      ? join(root, 'node_modules', path.slice('/vendor/'.length))
      : join(root, path);
    const source = readFileSync(file, 'utf8');
    // Static imports only (`import … from '…'` and `import '…'`); `import(…)` loads later.
    for (const m of source.matchAll(/(?:^|[;\s])(?:import|export)\s*(?:[^'"();]*?\sfrom\s*)?['"]([^'"]+)['"]/g)) {
      pending.push(resolve(m[1], path));
    }
  }
  return seen;
}

test('the page preloads every module it loads at start (no request waterfall)', () => {
  const preloaded = new Set([...page.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]));
  const needed = staticGraph('/app/main.js');
  const missing = [...needed].filter((p) => !preloaded.has(p)).sort();
  assert.deepEqual(missing, [], `add <link rel="modulepreload"> for: ${missing.join(', ')}`);
  const extra = [...preloaded].filter((p) => !needed.has(p)).sort();
  assert.deepEqual(extra, [], `preloaded but not loaded at start: ${extra.join(', ')}`);
});
