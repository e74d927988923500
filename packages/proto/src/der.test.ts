import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derBitString, derInteger, derObjectIdentifier, derSequence, derSet, derTlv, derUtf8String, pemEncode } from './der';

const hex = (b: Buffer) => b.toString('hex');

test('lengths: short form below 128, long form from 128 (X.690 8.1.3)', () => {
  assert.equal(hex(derTlv(0x04, Buffer.alloc(0))), '0400');
  assert.equal(hex(derTlv(0x04, Buffer.alloc(127))).slice(0, 4), '047f');
  assert.equal(hex(derTlv(0x04, Buffer.alloc(128))).slice(0, 6), '048180');
  assert.equal(hex(derTlv(0x04, Buffer.alloc(256))).slice(0, 8), '04820100');
  assert.equal(derTlv(0x04, Buffer.alloc(70_000)).length, 70_000 + 5);
});

test('integers: minimal bytes, a leading zero when the top bit is set, no negatives', () => {
  assert.equal(hex(derInteger(0)), '020100');
  assert.equal(hex(derInteger(127)), '02017f');
  assert.equal(hex(derInteger(128)), '02020080');
  assert.equal(hex(derInteger(256)), '02020100');
  assert.throws(() => derInteger(-1), RangeError);
  assert.throws(() => derInteger(1.5), RangeError);
});

test('object identifiers: the first two arcs share a byte, larger arcs use base-128', () => {
  assert.equal(hex(derObjectIdentifier('2.5.4.3')), '0603550403');
  // ecdsa-with-SHA256 and prime256v1 as every X.509 tool encodes them.
  assert.equal(hex(derObjectIdentifier('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
  assert.equal(hex(derObjectIdentifier('1.2.840.10045.3.1.7')), '06082a8648ce3d030107');
  for (const bad of ['1', '3.1', '1.40', '1.2.x', '']) assert.throws(() => derObjectIdentifier(bad), RangeError, bad);
});

test('strings, bit strings, sequences and sets', () => {
  assert.equal(hex(derUtf8String('é')), '0c02c3a9');
  assert.equal(hex(derBitString(Buffer.from([0xff]))), '030200ff');
  assert.equal(hex(derSequence(derInteger(1), derInteger(2))), '3006020101020102');
  // SET OF elements are sorted by their encodings.
  assert.equal(hex(derSet(derInteger(2), derInteger(1))), '3106020101020102');
});

test('PEM: 64-character lines between the labels', () => {
  const pem = pemEncode(Buffer.alloc(100, 1), 'TEST');
  assert.ok(pem.endsWith('-----\n'));
  const lines = pem.trimEnd().split('\n');
  assert.equal(lines[0], '-----BEGIN TEST-----');
  assert.equal(lines.at(-1), '-----END TEST-----');
  assert.deepEqual(lines.slice(1, -1).map((l) => l.length), [64, 64, 8]);
});

test('a PEM round-trips through base64', () => {
  const der = Buffer.from(Array.from({ length: 200 }, (_, i) => i));
  const body = pemEncode(der, 'X').split('\n').slice(1, -2).join('');
  assert.deepEqual(Buffer.from(body, 'base64'), der);
});
