import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';

/** The address every container reaches the credentials and metadata endpoint at (ECS's). */
export const ENDPOINT_ADDRESS = '169.254.170.2';

/** iptables waits up to this for the xtables lock (dockerd and other agents take it too), then the call fails. */
const IPTABLES_TIMEOUT_MS = 15_000;
const LOCK_WAIT_SECONDS = '5';

export type RunIptables = (args: string[]) => Promise<{ code: number; stderr: string }>;
/** `iptables-restore --noflush` fed `rules` on stdin: several rules, both tables, one process. */
export type RestoreIptables = (rules: string) => Promise<{ code: number; stderr: string }>;

function exitCode(err: unknown): number {
  return err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
}

export const runIptables: RunIptables = (args) =>
  new Promise((resolve) => {
    execFile('iptables', ['-w', LOCK_WAIT_SECONDS, ...args], { timeout: IPTABLES_TIMEOUT_MS }, (err, _stdout, stderr) => {
      resolve({ code: exitCode(err), stderr: String(stderr || (err ? err.message : '')).trim() });
    });
  });

export const restoreIptables: RestoreIptables = (rules) =>
  new Promise((resolve) => {
    const child = execFile('iptables-restore', ['-w', LOCK_WAIT_SECONDS, '--noflush'], { timeout: IPTABLES_TIMEOUT_MS }, (err, _stdout, stderr) => {
      resolve({ code: exitCode(err), stderr: String(stderr || (err ? err.message : '')).trim() });
    });
    child.stdin?.on('error', () => {}); // a child that died early: its exit status says why
    child.stdin?.end(rules);
  });

/** iptables-restore splits its lines on blanks; anything else (never seen in a MAC, an address or an interface name) takes the one-rule-per-call path. */
const PLAIN_ARG = /^[A-Za-z0-9_.:/-]+$/;

/** One iptables-restore input that appends (`-A`) or deletes (`-D`) rules, table by table in the given order. */
export function restoreInput(op: '-A' | '-D', rules: { table: 'filter' | 'nat'; rule: string[] }[]): string | undefined {
  if (!rules.every((r) => r.rule.every((a) => PLAIN_ARG.test(a)))) return undefined;
  return rules.map((r) => `*${r.table}\n${op} ${r.rule.join(' ')}\nCOMMIT\n`).join('');
}

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

  /**
   * MACs whose rules this process installed since reset(). The chains are
   * this agent's alone and reset() empties them, so a MAC not in here has no
   * rule to remove first, and one in here has exactly one of each.
   */
  private readonly installed = new Set<string>();

  constructor(
    instanceId: string,
    private readonly bridge: string,
    private readonly run: RunIptables = runIptables,
    /** The endpoint's port, recorded in the chain (markerRule) so a chain left empty can still be told dead. */
    private readonly port?: number,
    private readonly restore: RestoreIptables = restoreIptables,
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
    this.installed.clear();
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

  /**
   * Sends `mac`'s traffic for 169.254.170.2:80 to `target` (host:port). On a
   * container's start path: both rules go in with one iptables-restore, the
   * DROP first (a DNAT that failed then leaves the MAC cut off, never
   * leaking). iptables-restore commits each table as a whole and fails on any
   * rule it cannot add, so its exit status is the check.
   */
  async add(mac: string, target: string): Promise<void> {
    if (this.installed.has(mac)) await this.remove(mac, target);
    const input = restoreInput('-A', [
      { table: 'filter', rule: this.dropRule(mac) },
      { table: 'nat', rule: this.natRule(mac, target) },
    ]);
    if (input === undefined) {
      await this.must(['-t', 'filter', '-A', ...this.dropRule(mac)]);
      await this.must(['-t', 'nat', '-A', ...this.natRule(mac, target)]);
      await this.check(mac, target);
    } else {
      const r = await this.restore(input);
      if (r.code !== 0) throw new EndpointRuleError(`iptables-restore (filter ${this.dropRule(mac).join(' ')}; nat ${this.natRule(mac, target).join(' ')}): ${r.stderr || `exit ${r.code}`}`);
    }
    this.installed.add(mac);
  }

  /** Throws unless both rules of `mac` are present (iptables -C). */
  async check(mac: string, target: string): Promise<void> {
    await this.must(['-t', 'nat', '-C', ...this.natRule(mac, target)]);
    await this.must(['-t', 'filter', '-C', ...this.dropRule(mac)]);
  }

  /**
   * Removes `mac`'s rules; absent rules are not an error. Rules this process
   * added go with one iptables-restore; when that fails (someone else changed
   * the chain), or for a MAC it never added, rule by rule until none is left.
   */
  async remove(mac: string, target: string): Promise<void> {
    if (this.installed.delete(mac)) {
      const input = restoreInput('-D', [
        { table: 'nat', rule: this.natRule(mac, target) },
        { table: 'filter', rule: this.dropRule(mac) },
      ]);
      if (input !== undefined && (await this.restore(input)).code === 0) return;
    }
    while ((await this.run(['-t', 'nat', '-D', ...this.natRule(mac, target)])).code === 0);
    while ((await this.run(['-t', 'filter', '-D', ...this.dropRule(mac)])).code === 0);
  }

  /** Unhooks and deletes both chains (an agent leaving a host with none of its containers). */
  async destroy(): Promise<void> {
    this.installed.clear();
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
