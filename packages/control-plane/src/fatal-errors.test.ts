import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT_FATAL } from '@stevedore/core';

const MAIN = path.join(__dirname, 'main.js');

/**
 * Runs the real control plane with a preloaded script that fails the way a
 * bug would once it is up (the API answers), and returns how it ended.
 */
async function runWithInjectedFailure(failure: string): Promise<{ code: number | null; output: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-fatal-'));
  try {
    const preload = path.join(dir, 'inject.js');
    // Fails on the first API request: the control plane is started by then.
    fs.writeFileSync(preload, `const http = require('node:http'); const orig = http.createServer; http.createServer = function (...a) { const s = orig.apply(this, a); s.once('request', () => setImmediate(() => { ${failure} })); return s; };`);
    const child = spawn(process.execPath, ['--require', preload, MAIN, '--data-dir', path.join(dir, 'data'), '--api-listen', '127.0.0.1:0', '--agent-listen', '127.0.0.1:0', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    // The API port is ephemeral: read it from the start line, then poke it.
    const port = await new Promise<number>((resolve, reject) => {
      const check = () => {
        const m = /"api":"http:\/\/127\.0\.0\.1:(\d+)"/.exec(output);
        if (m) resolve(Number(m[1]));
        else if (child.exitCode !== null) reject(new Error(`exited early: ${output}`));
        else setTimeout(check, 50);
      };
      check();
    });
    await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined);
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on('exit', (c) => resolve(c))));
    clearTimeout(killer);
    return { code, output };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('an unhandled rejection is logged (fatal, with the error) and the control plane exits non-zero', async () => {
  const { code, output } = await runWithInjectedFailure(`Promise.reject(new Error('injected rejection'));`);
  assert.equal(code, EXIT_FATAL, output);
  const fatal = output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } }).find((l) => l.level === 60);
  assert.ok(fatal, output);
  assert.match(fatal.msg, /^unhandled rejection: exiting so that the service manager restarts stevedore-control-plane/);
  assert.equal(fatal.err?.message, 'injected rejection');
});

test('an uncaught exception is logged and the control plane exits non-zero', async () => {
  const { code, output } = await runWithInjectedFailure(`throw new Error('injected throw');`);
  assert.equal(code, EXIT_FATAL, output);
  assert.match(output, /"level":60.*"message":"injected throw".*uncaught exception: exiting/);
});
