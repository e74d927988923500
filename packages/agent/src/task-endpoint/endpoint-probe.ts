import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { containerMac, ENDPOINT_ADDRESS, type EndpointRules } from './endpoint-rules';

/** Each probe step is a local `ip` call or a short HTTP request: seconds mean a sick host. */
const STEP_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 3000;

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: STEP_TIMEOUT_MS }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err ? err.message : '')).trim() });
    });
  });
}

/** a.b.c.d/prefix -> the address `offset` below the subnet's broadcast address. */
export function probeAddress(gateway: string, prefix: number, offset: number): string {
  const n = gateway.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
  const size = 2 ** (32 - prefix);
  const broadcast = n - (n % size) + size - 1;
  const a = broadcast - 1 - (offset % Math.max(1, size - 4));
  return [24, 16, 8, 0].map((s) => Math.floor(a / 2 ** s) % 256).join('.');
}

export interface ProbeOptions {
  instanceId: string;
  rules: EndpointRules;
  bridge: string;
  gateway: string;
  prefix: number;
  /** host:port the rules send containers to (where the endpoint listens). */
  target: string;
  /** Registers the nonce the endpoint must answer /probe/<nonce> with; returns its removal. */
  expect(nonce: string): () => void;
}

/**
 * Proves the rule works before any container relies on it: a throwaway
 * network namespace is plugged into the bridge exactly like a container
 * (a veth with its own MAC and an address of the bridge's subnet, near its
 * top, where Docker's sequential allocation does not reach), gets the same
 * kind of rule as a container, and fetches http://169.254.170.2/probe/<nonce>
 * with this node binary. Only the endpoint knows the nonce, so an answer
 * from anything else (another agent, a host service) fails the check; the
 * DROP rule keeps an unredirected probe from leaving the host.
 */
export async function probeEndpoint(o: ProbeOptions): Promise<void> {
  const h = createHash('sha256').update(o.instanceId).digest('hex');
  const ns = `stvd-probe-${h.slice(0, 8)}`;
  const hostIf = `svp${h.slice(0, 8)}`;
  const nsIf = `svq${h.slice(0, 8)}`;
  const mac = containerMac(randomBytes(5));
  const address = probeAddress(o.gateway, o.prefix, parseInt(h.slice(8, 12), 16));
  const nonce = randomBytes(16).toString('hex');
  const cleanup = async () => {
    await o.rules.remove(mac, o.target);
    await run('ip', ['link', 'del', hostIf]);
    await run('ip', ['netns', 'del', ns]);
  };
  const must = async (args: string[]) => {
    const r = await run('ip', args);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
  };
  await cleanup();
  const forget = o.expect(nonce);
  try {
    await must(['netns', 'add', ns]);
    await must(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    await must(['link', 'set', nsIf, 'netns', ns]);
    await must(['link', 'set', hostIf, 'master', o.bridge]);
    await must(['link', 'set', hostIf, 'up']);
    await must(['-n', ns, 'link', 'set', nsIf, 'address', mac]);
    await must(['-n', ns, 'addr', 'add', `${address}/${o.prefix}`, 'dev', nsIf]);
    await must(['-n', ns, 'link', 'set', nsIf, 'up']);
    await must(['-n', ns, 'route', 'add', 'default', 'via', o.gateway]);
    await o.rules.add(mac, o.target);
    const script = `require('http').get({host:'${ENDPOINT_ADDRESS}',port:80,path:'/probe/${nonce}',timeout:${REQUEST_TIMEOUT_MS}},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>{process.stdout.write(b);process.exit(0)})}).on('timeout',function(){this.destroy(new Error('timed out'))}).on('error',e=>{process.stderr.write(e.message);process.exit(2)})`;
    // The bridge may still be learning the new port: a few tries.
    let last = '';
    for (let i = 0; i < 3; i++) {
      const r = await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script]);
      if (r.code === 0 && r.stdout.trim() === nonce) return;
      last = r.code === 0 ? `unexpected answer ${JSON.stringify(r.stdout.slice(0, 80))}` : r.stderr;
    }
    throw new Error(`a request to http://${ENDPOINT_ADDRESS}/ through the rule did not reach this agent: ${last}`);
  } finally {
    forget();
    await cleanup();
  }
}

/** A probe takes well under this; a probe namespace older than it was left by an agent that died mid-probe. */
const STALE_PROBE_MS = 120_000;

/** Deletes `stvd-probe-*` namespaces older than STALE_PROBE_MS (never one another agent is using now). */
export async function removeStaleProbes(now = Date.now()): Promise<string[]> {
  const { readdir, stat } = await import('node:fs/promises');
  const names = (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => /^stvd-probe-[0-9a-f]{8}$/.test(n));
  const removed: string[] = [];
  for (const n of names) {
    const st = await stat(`/run/netns/${n}`).catch(() => undefined);
    if (!st || now - st.mtimeMs < STALE_PROBE_MS) continue;
    await run('ip', ['link', 'del', `svp${n.slice(-8)}`]);
    if ((await run('ip', ['netns', 'del', n])).code === 0) removed.push(n);
  }
  return removed;
}
