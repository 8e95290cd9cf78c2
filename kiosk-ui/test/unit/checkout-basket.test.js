import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emptyLine, lineProblems, toApiLine, parseBasketJson, BasketJsonError, quoteRequest, saleRequest, newDocumentNo, readyTenders,
} from '../../app/checkout/basket.js';

const coat = { ...emptyLine(), sku: 'COAT-01', unit_price: '1000.00', quantity: '1' };

test('a line needs an article, a class, a price with at most 2 places and a whole quantity', () => {
  assert.deepEqual(lineProblems(coat), {});
  assert.deepEqual(Object.keys(lineProblems(emptyLine())).sort(), ['sku', 'unit_price']);
  assert.ok(lineProblems({ ...coat, unit_price: '10.005' }).unit_price);
  assert.ok(lineProblems({ ...coat, unit_price: '-1' }).unit_price);
  assert.ok(lineProblems({ ...coat, quantity: '0' }).quantity);
  assert.ok(lineProblems({ ...coat, quantity: '1.5' }).quantity);
  assert.ok(lineProblems({ ...coat, class: 'gadget' }).class);
});

test('marked-down goods need their original price; other classes do not send one', () => {
  const sale = { ...coat, class: 'sale', original_unit_price: '' };
  assert.ok(lineProblems(sale).original_unit_price);
  assert.deepEqual(toApiLine({ ...sale, original_unit_price: '1500.00' }),
    { sku: 'COAT-01', class: 'sale', unit_price: '1000.00', quantity: 1, original_unit_price: '1500.00' });
  assert.deepEqual(toApiLine({ ...coat, original_unit_price: '9.00' }),
    { sku: 'COAT-01', class: 'regular', unit_price: '1000.00', quantity: 1 });
  assert.equal(toApiLine({ ...coat, other_promotion: true }).other_promotion, true);
});

test("the till's basket JSON is read as a request or a bare list of lines", () => {
  const lines = [{ sku: 'A', class: 'regular', unit_price: '50.00', quantity: 2 },
    { sku: 'B', class: 'sale', unit_price: 80, quantity: 1, original_unit_price: '100.00' }];
  const fromRequest = parseBasketJson(JSON.stringify({ card_number: '1', lines }));
  assert.equal(fromRequest.length, 2);
  assert.deepEqual(fromRequest.map(toApiLine), [
    { sku: 'A', class: 'regular', unit_price: '50.00', quantity: 2 },
    { sku: 'B', class: 'sale', unit_price: '80', quantity: 1, original_unit_price: '100.00' },
  ]);
  assert.deepEqual(parseBasketJson(JSON.stringify(lines)), fromRequest);
});

test('a pasted basket that is not right says where', () => {
  assert.throws(() => parseBasketJson('{nope'), (e) => e instanceof BasketJsonError && e.line === -1 && e.field === 'json');
  assert.throws(() => parseBasketJson('{"lines": []}'), (e) => e.field === 'lines');
  assert.throws(() => parseBasketJson('[{"sku": "A", "class": "regular", "unit_price": "1.234", "quantity": 1}]'),
    (e) => e.line === 0 && e.field === 'unit_price');
});

test('the quote request carries the card, ready tenders and a redemption only with a card', () => {
  assert.equal(quoteRequest({ lines: [], cardNumber: null, tenders: [], redeemPoints: 0 }), null);
  assert.deepEqual(quoteRequest({ lines: [coat], cardNumber: null, tenders: [], redeemPoints: 200 }),
    { lines: [toApiLine(coat)] });
  assert.deepEqual(
    quoteRequest({ lines: [coat], cardNumber: '880001000000011', tenders: [{ kind: 'cash', amount: '100' }, { kind: 'coupon', amount: '' }], redeemPoints: 200 }),
    { lines: [toApiLine(coat)], card_number: '880001000000011', tenders: [{ kind: 'cash', amount: '100' }], redeem_points: 200 },
  );
});

test('the sale request is the quote request with the receipt number, till and tenders', () => {
  const body = saleRequest({
    receiptNo: 'T01-ab12', tillId: 'T01', lines: [coat], cardNumber: '880001000000011',
    tenders: [{ kind: 'cash', amount: '980.00' }], redeemPoints: 200,
  });
  assert.deepEqual(body, {
    receipt_no: 'T01-ab12', till_id: 'T01', card_number: '880001000000011', lines: [toApiLine(coat)],
    tenders: [{ kind: 'cash', amount: '980.00' }], redeem_points: 200,
  });
  assert.equal(saleRequest({ receiptNo: 'x', tillId: 'T01', lines: [coat], cardNumber: null, tenders: [], redeemPoints: 0 }).card_number, undefined);
  assert.deepEqual(readyTenders([{ kind: 'cash', amount: '0' }, { kind: '', amount: '5' }]), []);
});

test('receipt numbers follow the API rule (1–40 of A-Z a-z 0-9 - _ /)', () => {
  assert.equal(newDocumentNo('T01', '0a1b2c3d4e5f'), 'T01-0a1b2c3d4e5f');
  assert.equal(newDocumentNo('T01', 'ff', 'R'), 'RT01-ff');
  const odd = newDocumentNo('till #7 (east)', 'a'.repeat(40));
  assert.match(odd, /^[A-Za-z0-9_/-]{1,40}$/);
});
