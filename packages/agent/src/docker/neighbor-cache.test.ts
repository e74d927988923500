import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flushNeighbor, hasNeighbor } from './neighbor-cache';

const TABLE = `IP address       HW type     Flags       HW address            Mask     Device
172.17.0.3       0x1         0x2         02:42:ac:11:00:03     *        docker0
172.17.0.30      0x1         0x0         00:00:00:00:00:00     *        docker0
`;

test('hasNeighbor matches the address column exactly', () => {
  assert.equal(hasNeighbor(TABLE, '172.17.0.3'), true);
  assert.equal(hasNeighbor(TABLE, '172.17.0.30'), true); // incomplete entries are listed too
  assert.equal(hasNeighbor(TABLE, '172.17.0.4'), false);
  assert.equal(hasNeighbor(TABLE, '172.17.0'), false);
  assert.equal(hasNeighbor(TABLE, 'IP'), false);
});

test('an unreadable table counts as holding the address (the flush runs)', () => {
  assert.equal(hasNeighbor(undefined, '172.17.0.4'), true);
});

test('no entry for the address: nothing is run', async () => {
  assert.equal(await flushNeighbor('172.17.0.4', async () => TABLE), false);
});
