import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { LOG_REDACTION } from './log-redaction';

test('secrets are redacted from log lines wherever a component puts them', () => {
  const lines: string[] = [];
  const log = pino({ redact: LOG_REDACTION }, { write: (s: string) => lines.push(s) });
  log.info({ authorization: 'AWS4-HMAC-SHA256 Credential=AKIA1/x, Signature=aaaa' }, 'a');
  log.info({ req: { headers: { authorization: 'Signature=bbbb' } } }, 'b');
  log.info({ accessKey: { accessKeyId: 'AKIAKEEPTHISKEEPTHIS', secretAccessKey: 'cccc' } }, 'c');
  log.child({ component: 'api' }).warn({ signature: 'dddd', secret: 'eeee' }, 'd');
  const all = lines.join('');
  for (const s of ['Signature=aaaa', 'bbbb', 'cccc', 'dddd', 'eeee']) assert.ok(!all.includes(s), `${s} was logged`);
  assert.ok(all.includes('AKIAKEEPTHISKEEPTHIS'), 'access key ids stay: they are how refusals are traced');
  assert.equal((all.match(/\[REDACTED\]/g) ?? []).length, 5);
});
