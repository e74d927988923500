import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Docker from 'dockerode';
import { TEST_IMAGE } from './builders';

/**
 * A private dockerd (own bridge, data root and socket, --iptables=false so
 * the shared daemon's chains are untouched), so a test can restart "the
 * Docker daemon" without disturbing anyone else's containers.
 */
export class SecondDockerd {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'stevedore-dockerd-'));
  readonly socket = path.join(this.dir, 'docker.sock');
  readonly bridge = `br-sd${process.pid % 100000}`;
  private proc: ChildProcess | undefined;

  /** Why it cannot run here, or undefined. */
  static unavailable(): string | undefined {
    if (process.getuid?.() !== 0) return 'not root';
    for (const bin of ['dockerd', 'ip']) {
      try {
        execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
      } catch {
        return `${bin} not installed`;
      }
    }
    return undefined;
  }

  get client(): Docker {
    return new Docker({ socketPath: this.socket });
  }

  async start(): Promise<void> {
    if (!existsSync(`/sys/class/net/${this.bridge}`)) {
      const octet = 100 + (process.pid % 100);
      execFileSync('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
      execFileSync('ip', ['addr', 'add', `10.213.${octet}.1/24`, 'dev', this.bridge]);
      execFileSync('ip', ['link', 'set', this.bridge, 'up']);
    }
    this.proc = spawn('dockerd', [
      '--data-root', path.join(this.dir, 'data'),
      '--exec-root', path.join(this.dir, 'exec'),
      '-H', `unix://${this.socket}`,
      '--pidfile', path.join(this.dir, 'docker.pid'),
      '--bridge', this.bridge,
      '--iptables=false',
    ], { stdio: 'ignore' });
    const client = this.client;
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
      try {
        await client.ping();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('second dockerd did not start');
  }

  /** SIGTERM and wait: dockerd stops its containers (SIGTERM to each) on the way out. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  async loadTestImage(from: Docker): Promise<void> {
    const tar = await from.getImage(TEST_IMAGE).get();
    const res = await this.client.loadImage(tar);
    await new Promise((resolve, reject) => this.client.modem.followProgress(res, (err: Error | null) => (err ? reject(err) : resolve(undefined))));
  }

  async destroy(): Promise<void> {
    try {
      const c = this.client;
      for (const x of await c.listContainers({ all: true })) await c.getContainer(x.Id).remove({ force: true }).catch(() => undefined);
    } catch {
      // daemon already gone
    }
    await this.stop();
    try {
      execFileSync('ip', ['link', 'del', this.bridge], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
