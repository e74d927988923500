import { test } from 'node:test';
import assert from 'node:assert/strict';
import { certificateAnswerOk, certificateCommands, loggableCommand } from './certificate-plan';

const D = '/lb/certs';
const pem = (n: string) => `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----\n\n-----BEGIN PRIVATE KEY-----\nKEY${n}\n-----END PRIVATE KEY-----\n`;
const files = (entries: Record<string, string>, list: string[]) => new Map([[`${D}/list-L.txt`, list.map((f) => `${D}/${f}`).join('\n') + '\n'], ...Object.entries(entries).map(([f, c]) => [`${D}/${f}`, c] as [string, string])]);

test('certificate changes as runtime API commands: rotate in place, add and remove SNI certificates', () => {
  const prev = files({ 'L-default.pem': pem('A'), 'L-b.pem': pem('B') }, ['L-default.pem', 'L-b.pem']);
  assert.deepEqual(certificateCommands(prev, prev), [], 'nothing changed');
  const rotated = files({ 'L-default.pem': pem('A2'), 'L-b.pem': pem('B') }, ['L-default.pem', 'L-b.pem']);
  assert.deepEqual(certificateCommands(prev, rotated), [`set ssl cert ${D}/L-default.pem <<\n-----BEGIN CERTIFICATE-----\nMIIA2\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nKEYA2\n-----END PRIVATE KEY-----\n`, `commit ssl cert ${D}/L-default.pem`], 'no empty line in the payload: it would end it');
  const swapped = files({ 'L-default.pem': pem('A'), 'L-c.pem': pem('C') }, ['L-default.pem', 'L-c.pem']);
  const cmds = certificateCommands(prev, swapped)!.map(loggableCommand);
  assert.deepEqual(cmds, [`new ssl cert ${D}/L-c.pem`, `set ssl cert ${D}/L-c.pem <<`, `commit ssl cert ${D}/L-c.pem`, `add ssl crt-list ${D}/list-L.txt ${D}/L-c.pem`, `del ssl crt-list ${D}/list-L.txt ${D}/L-b.pem`, `del ssl cert ${D}/L-b.pem`], 'added before removed; a logged command carries no key');
  assert.equal(certificateCommands(prev, new Map()), undefined, 'a listener gone: a reload');
  assert.equal(certificateCommands(new Map(), prev), undefined, 'a new listener: a reload');
  assert.equal(certificateCommands(prev, files({ 'L-x.pem': pem('A'), 'L-b.pem': pem('B') }, ['L-x.pem', 'L-b.pem'])), undefined, 'another default entry: a reload');
});

test("HAProxy's answers to certificate commands", () => {
  assert.equal(certificateAnswerOk('new ssl cert /x', "New empty certificate store '/x'!"), true);
  assert.equal(certificateAnswerOk('set ssl cert /x <<\n...', 'Transaction created for certificate /x!'), true);
  assert.equal(certificateAnswerOk('set ssl cert /x <<\n...', 'Transaction updated for certificate /x!'), true);
  assert.equal(certificateAnswerOk('set ssl cert /x <<\n...', 'unable to load the certificate'), false);
  assert.equal(certificateAnswerOk('commit ssl cert /x', 'Committing /x.\nSuccess!'), true);
  assert.equal(certificateAnswerOk('commit ssl cert /x', 'Committing /x.\nError: inconsistencies'), false);
  assert.equal(certificateAnswerOk('add ssl crt-list /l /x', "Inserting certificate '/x' in crt-list '/l'.\nSuccess!"), true);
  assert.equal(certificateAnswerOk('del ssl crt-list /l /x', "Entry '/x' deleted in crtlist '/l'!"), true);
  assert.equal(certificateAnswerOk('del ssl cert /x', "Certificate '/x' deleted!"), true);
  assert.equal(certificateAnswerOk('del ssl cert /x', "certificate '/x' in use, can't be deleted!"), false);
  assert.equal(certificateAnswerOk('set weight a/b 1', ''), undefined);
});
