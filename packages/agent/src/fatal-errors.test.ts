import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT_FATAL } from '@stevedore/core';

const MAIN = path.join(__dirname, 'main.js');

/**
 * Runs the real agent (waiting for a Docker that is not there, so it stays
 * up) with a preloaded script that fails once the agent has logged its first
 * line, the way a bug in a callback would.
 */
async function runWithInjectedFailure(failure: string): Promise<{ code: number | null; output: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-agent-fatal-'));
  try {
    const preload = path.join(dir, 'inject.js');
    fs.writeFileSync(preload, `const w = process.stdout.write; let armed = true; process.stdout.write = function (...a) { if (armed) { armed = false; setImmediate(() => { ${failure} }); } return w.apply(this, a); };`);
    const args = ['--control-plane', '127.0.0.1:1', '--cluster', 'fatal', '--host-ip', '127.0.4.2', '--data-dir', path.join(dir, 'data'), '--docker-host', `unix://${path.join(dir, 'no-docker.sock')}`];
    const child = spawn(process.execPath, ['--require', preload, MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    return { code, output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('an unhandled rejection is logged (fatal, with the error) and the agent exits non-zero', async () => {
  const { code, output } = await runWithInjectedFailure(`Promise.reject(new Error('injected rejection'));`);
  assert.equal(code, EXIT_FATAL, output);
  assert.match(output, /"level":60.*"message":"injected rejection".*unhandled rejection: exiting so that the service manager restarts stevedore-agent/);
});

test('an uncaught exception is logged and the agent exits non-zero', async () => {
  const { code, output } = await runWithInjectedFailure(`throw new Error('injected throw');`);
  assert.equal(code, EXIT_FATAL, output);
  assert.match(output, /"level":60.*"message":"injected throw".*uncaught exception: exiting/);
});
