import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MAIN = path.join(__dirname, 'main.js');

/** Starts the real agent under umask 000 (waiting for a Docker that is not there), until it has set up its data dir. */
async function startUntilDockerWait(dataDir: string, scratch: string): Promise<void> {
  const args = [MAIN, '--control-plane', '127.0.0.1:1', '--cluster', 'modes', '--host-ip', '127.0.4.3', '--data-dir', dataDir, '--docker-host', `unix://${path.join(scratch, 'no-docker.sock')}`];
  const child = spawn('/bin/sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const deadline = Date.now() + 20_000;
    // The data dir is made before the agent first asks Docker anything.
    while (!output.includes('Docker is not reachable yet')) {
      if (child.exitCode !== null) throw new Error(`agent exited: ${output}`);
      if (Date.now() > deadline) throw new Error(`agent never waited for Docker: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

test('the agent creates its data dir 0700 whatever the umask, and tightens one an older version left open', async (t) => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-agent-modes-'));
  t.after(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const fresh = path.join(scratch, 'fresh', 'agent');
  await startUntilDockerWait(fresh, scratch);
  assert.equal(fs.statSync(fresh).mode & 0o777, 0o700);
  const old = path.join(scratch, 'old');
  fs.mkdirSync(old);
  fs.chmodSync(old, 0o755);
  await startUntilDockerWait(old, scratch);
  assert.equal(fs.statSync(old).mode & 0o777, 0o700);
});
