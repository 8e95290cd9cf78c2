import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOM, csvCell, csvFileName, csvText } from '../../app/shared/csv.js';

test('formula-like text cells are made inert with an apostrophe', () => {
  assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvCell('+86 139'), "'+86 139");
  assert.equal(csvCell('-cmd|calc'), "'-cmd|calc");
  assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvCell('\tTAB'), "'\tTAB");
  assert.equal(csvCell('\rCR'), `"'\rCR"`);
});

test('plain numbers stay numbers, negative ones too', () => {
  assert.equal(csvCell('-12.50'), '-12.50');
  assert.equal(csvCell(-3), '-3');
  assert.equal(csvCell('1234'), '1234');
  assert.equal(csvCell('-1+2'), "'-1+2");
});

test('quotes are doubled and cells with commas, quotes or line breaks are quoted', () => {
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell(' padded'), '" padded"');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell('会员'), '会员');
});

test('a file starts with the BOM, has a header and CRLF rows', () => {
  const text = csvText(
    [{ key: 'name', label: '姓名' }, { key: 'n', label: 'Count' }, { key: 'x', label: 'Twice', value: (r) => r.n * 2 }],
    [{ name: '=1+1', n: 2 }, { name: 'Li, Na', n: 3 }],
  );
  assert.ok(text.startsWith(BOM));
  assert.equal(text, `${BOM}姓名,Count,Twice\r\n'=1+1,2,4\r\n"Li, Na",3,6\r\n`);
});

test('file names keep letters and digits only', () => {
  assert.equal(csvFileName('points', '2026-03-01', '2026-03-10'), 'points-2026-03-01-2026-03-10.csv');
  assert.equal(csvFileName('审计 / audit'), '审计_audit.csv');
  assert.equal(csvFileName(), 'table.csv');
});
