import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { notifySystemdReady } from './systemd-notify';

const quiet = { warnings: [] as string[], warn(_: object, msg: string) { this.warnings.push(msg); } };

test('without $NOTIFY_SOCKET (not under systemd) nothing is run', async () => {
  assert.equal(await notifySystemdReady(quiet, { PATH: '/nonexistent' }), false);
});

test('under systemd: systemd-notify --ready for our pid; a failure is a warning, not an error', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notify-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'args');
  // A stand-in for systemd's tool that records how it was called.
  fs.writeFileSync(path.join(dir, 'systemd-notify'), `#!/bin/sh\necho "$NOTIFY_SOCKET $*" > ${out}\n`, { mode: 0o755 });
  assert.equal(await notifySystemdReady(quiet, { PATH: dir, NOTIFY_SOCKET: '/run/test.sock' }, 'ready'), true);
  assert.equal(fs.readFileSync(out, 'utf8').trim(), `/run/test.sock --ready --pid=${process.pid} --status=ready`);

  fs.writeFileSync(path.join(dir, 'systemd-notify'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  assert.equal(await notifySystemdReady(quiet, { PATH: dir, NOTIFY_SOCKET: '/run/test.sock' }), false);
  assert.deepEqual(quiet.warnings, ['could not tell systemd we are ready (systemd-notify)']);
});
