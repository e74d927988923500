import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';

/** The address every container reaches the credentials and metadata endpoint at (ECS's). */
export const ENDPOINT_ADDRESS = '169.254.170.2';

/** iptables waits up to this for the xtables lock (dockerd and other agents take it too), then the call fails. */
const IPTABLES_TIMEOUT_MS = 15_000;
const LOCK_WAIT_SECONDS = '5';

export type RunIptables = (args: string[]) => Promise<{ code: number; stderr: string }>;

export const runIptables: RunIptables = (args) =>
  new Promise((resolve) => {
    execFile('iptables', ['-w', LOCK_WAIT_SECONDS, ...args], { timeout: IPTABLES_TIMEOUT_MS }, (err, _stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stderr: String(stderr || (err ? err.message : '')).trim() });
    });
  });

export class EndpointRuleError extends Error {
  override readonly name = 'EndpointRuleError';
}

/**
 * The agent's iptables rules for 169.254.170.2:80. Several agents may share
 * one host network (and, in tests, one dockerd), so there is no global
 * "169.254.170.2 -> agent" rule: each agent owns two chains named after its
 * instance id, and each of its containers gets a rule keyed on the MAC
 * address the agent gave it at create time:
 * - nat `STVD-N-<id>` (jumped to from PREROUTING for 169.254.170.2:80/tcp):
 *   `-i <bridge> -m mac --mac-source <mac> -j DNAT --to <bridge address>:<port>`,
 *   so that container reaches this agent's endpoint and no other;
 * - filter `STVD-F-<id>` (jumped to from FORWARD for 169.254.170.2): the same
 *   MAC is DROPped, so if its DNAT rule were ever missing the packet dies here
 *   instead of leaving the host for whatever answers 169.254.170.2 upstream.
 * The DNAT target is the bridge's own address (where the agent listens), not
 * 127.0.0.1: that would need route_localnet on the bridge, which opens every
 * loopback service of the host to the containers.
 */
export class EndpointRules {
  readonly natChain: string;
  readonly filterChain: string;

  constructor(
    instanceId: string,
    private readonly bridge: string,
    private readonly run: RunIptables = runIptables,
    /** The endpoint's port, recorded in the chain (markerRule) so a chain left empty can still be told dead. */
    private readonly port?: number,
  ) {
    // Chain names are at most 28 characters: a hash keeps them short and distinct per instance.
    const h = createHash('sha256').update(instanceId).digest('hex').slice(0, 12);
    this.natChain = `STVD-N-${h}`;
    this.filterChain = `STVD-F-${h}`;
  }

  private async must(args: string[]): Promise<void> {
    const r = await this.run(args);
    if (r.code !== 0) throw new EndpointRuleError(`iptables ${args.join(' ')}: ${r.stderr || `exit ${r.code}`}`);
  }

  private async ensureChain(table: string, chain: string, parent: string, match: string[]): Promise<void> {
    // -N fails when the chain exists: that is the idempotent case.
    await this.run(['-t', table, '-N', chain]);
    if ((await this.run(['-t', table, '-C', parent, ...match, '-j', chain])).code !== 0) {
      await this.must(['-t', table, '-I', parent, ...match, '-j', chain]);
    }
  }

  /**
   * Agent start: the chains exist, hooked in, and empty. Rules left by an
   * earlier run point at a port this process does not listen on; the agent
   * adds its containers' rules again as it adopts them.
   */
  async reset(): Promise<void> {
    await this.ensureChain('nat', this.natChain, 'PREROUTING', ['-d', `${ENDPOINT_ADDRESS}/32`, '-p', 'tcp', '--dport', '80']);
    await this.ensureChain('filter', this.filterChain, 'FORWARD', ['-d', `${ENDPOINT_ADDRESS}/32`]);
    await this.must(['-t', 'nat', '-F', this.natChain]);
    await this.must(['-t', 'filter', '-F', this.filterChain]);
    if (this.port !== undefined) await this.must(['-t', 'nat', '-A', ...markerRule(this.natChain, this.port)]);
  }

  /** Removes other agents' chains that point only at ports nobody listens on (agents gone for good). */
  async collectStale(): Promise<string[]> {
    return removeStaleChains(this.run, this.natChain, await listeningPorts());
  }

  private natRule(mac: string, target: string): string[] {
    return [this.natChain, '-i', this.bridge, '-p', 'tcp', '-m', 'mac', '--mac-source', mac, '-j', 'DNAT', '--to-destination', target];
  }

  private dropRule(mac: string): string[] {
    return [this.filterChain, '-m', 'mac', '--mac-source', mac, '-j', 'DROP'];
  }

  /** Sends `mac`'s traffic for 169.254.170.2:80 to `target` (host:port), then checks both rules are in place. */
  async add(mac: string, target: string): Promise<void> {
    await this.remove(mac, target);
    await this.must(['-t', 'filter', '-A', ...this.dropRule(mac)]);
    await this.must(['-t', 'nat', '-A', ...this.natRule(mac, target)]);
    await this.check(mac, target);
  }

  /** Throws unless both rules of `mac` are present (iptables -C). */
  async check(mac: string, target: string): Promise<void> {
    await this.must(['-t', 'nat', '-C', ...this.natRule(mac, target)]);
    await this.must(['-t', 'filter', '-C', ...this.dropRule(mac)]);
  }

  /** Removes `mac`'s rules; absent rules are not an error. */
  async remove(mac: string, target: string): Promise<void> {
    while ((await this.run(['-t', 'nat', '-D', ...this.natRule(mac, target)])).code === 0);
    while ((await this.run(['-t', 'filter', '-D', ...this.dropRule(mac)])).code === 0);
  }

  /** Unhooks and deletes both chains (an agent leaving a host with none of its containers). */
  async destroy(): Promise<void> {
    await this.run(['-t', 'nat', '-D', 'PREROUTING', '-d', `${ENDPOINT_ADDRESS}/32`, '-p', 'tcp', '--dport', '80', '-j', this.natChain]);
    await this.run(['-t', 'filter', '-D', 'FORWARD', '-d', `${ENDPOINT_ADDRESS}/32`, '-j', this.filterChain]);
    for (const [t, c] of [['nat', this.natChain], ['filter', this.filterChain]] as const) {
      await this.run(['-t', t, '-F', c]);
      await this.run(['-t', t, '-X', c]);
    }
  }
}

/**
 * A rule that matches nothing (source 0.0.0.0 never talks TCP to
 * 169.254.170.2) and records the owning agent's port in its comment: an
 * agent that left its chain empty is still known dead when that port has no
 * listener.
 */
function markerRule(chain: string, port: number): string[] {
  return [chain, '-s', '0.0.0.0/32', '-p', 'tcp', '-m', 'comment', '--comment', `stevedore-endpoint port=${port}`, '-j', 'RETURN'];
}

/** TCP ports something listens on, from /proc/net/tcp (state 0A = LISTEN). */
export async function listeningPorts(): Promise<Set<number>> {
  const { readFile } = await import('node:fs/promises');
  const out = new Set<number>();
  const text = await readFile('/proc/net/tcp', 'utf8').catch(() => '');
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[3] === '0A' && f[1]) out.add(parseInt(f[1].split(':')[1] ?? '0', 16));
  }
  return out;
}

/**
 * Chains of agents that are gone: a STVD-N chain whose every port (DNAT
 * targets, and the marker rule's) has no listener (an agent that stopped
 * for good leaves its rules while its containers ran). A chain with no port
 * at all is left alone: it may be a live agent's between its reset and its
 * marker. Returns the chains removed.
 */
export async function removeStaleChains(run: RunIptables, own: string, listening: Set<number>): Promise<string[]> {
  const list = await new Promise<string>((resolve) => {
    execFile('iptables', ['-w', LOCK_WAIT_SECONDS, '-t', 'nat', '-S'], { timeout: IPTABLES_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (_e, stdout) => resolve(String(stdout ?? '')));
  });
  const targets = new Map<string, number[]>();
  for (const line of list.split('\n')) {
    const m = /^-A (STVD-N-[0-9a-f]{12}) .*(?:--to-destination [0-9.]+:|stevedore-endpoint port=)(\d+)/.exec(line);
    if (m) targets.set(m[1]!, [...(targets.get(m[1]!) ?? []), Number(m[2])]);
  }
  const removed: string[] = [];
  for (const [chain, ports] of targets) {
    if (chain === own || ports.some((p) => listening.has(p))) continue;
    const filter = chain.replace('STVD-N-', 'STVD-F-');
    await run(['-t', 'nat', '-D', 'PREROUTING', '-d', `${ENDPOINT_ADDRESS}/32`, '-p', 'tcp', '--dport', '80', '-j', chain]);
    await run(['-t', 'filter', '-D', 'FORWARD', '-d', `${ENDPOINT_ADDRESS}/32`, '-j', filter]);
    for (const [t, c] of [['nat', chain], ['filter', filter]] as const) {
      await run(['-t', t, '-F', c]);
      await run(['-t', t, '-X', c]);
    }
    removed.push(chain);
  }
  return removed;
}

/** A locally administered unicast MAC (02:...) from random bytes, unique per container. */
export function containerMac(random: Buffer): string {
  const b = [0x02, ...random.subarray(0, 5)];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
