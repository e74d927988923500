import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointRules, restoreInput, type RestoreIptables, type RunIptables } from './endpoint-rules';

/** iptables as a recording fake: `-D` of a rule that is not there fails, as the real one does. */
function fakeIptables(opts: { failRestore?: boolean } = {}) {
  const calls: string[] = [];
  const rules = new Map<string, number>(); // "table rule" -> how many copies
  const key = (table: string, rule: string[]) => `${table} ${rule.join(' ')}`;
  const apply = (table: string, op: string, rule: string[]): number => {
    const k = key(table, rule);
    if (op === '-A') rules.set(k, (rules.get(k) ?? 0) + 1);
    else if (op === '-D') {
      if (!rules.get(k)) return 1;
      rules.set(k, rules.get(k)! - 1);
    } else if (op === '-C') return rules.get(k) ? 0 : 1;
    return 0;
  };
  const run: RunIptables = async (args) => {
    calls.push(`iptables ${args.join(' ')}`);
    const [, table, op, ...rule] = args;
    if (op === '-N' || op === '-F' || op === '-I' || op === '-X') return { code: 0, stderr: '' };
    return { code: apply(table!, op!, rule), stderr: '' };
  };
  const restore: RestoreIptables = async (input) => {
    calls.push(`restore ${input.trim().split('\n').join(' | ')}`);
    if (opts.failRestore) return { code: 1, stderr: 'line 2 failed' };
    let table = '';
    for (const line of input.trim().split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      else if (line !== 'COMMIT') {
        const [op, ...rule] = line.split(' ');
        if (apply(table, op!, rule) !== 0) return { code: 1, stderr: 'Bad rule' };
      }
    }
    return { code: 0, stderr: '' };
  };
  const count = () => [...rules.values()].reduce((a, b) => a + b, 0);
  return { calls, run, restore, rules, count };
}

const MAC = '02:11:22:33:44:55';
const TARGET = '172.17.0.1:41000';

test('a rule pair goes in with one iptables-restore, the DROP before the DNAT', async () => {
  const ipt = fakeIptables();
  const r = new EndpointRules('instance-1', 'docker0', ipt.run, 41000, ipt.restore);
  await r.reset();
  ipt.calls.length = 0;
  await r.add(MAC, TARGET);
  assert.equal(ipt.calls.length, 1);
  assert.equal(
    ipt.calls[0],
    `restore *filter | -A ${r.filterChain} -m mac --mac-source ${MAC} -j DROP | COMMIT | *nat | -A ${r.natChain} -i docker0 -p tcp -m mac --mac-source ${MAC} -j DNAT --to-destination ${TARGET} | COMMIT`,
  );
  await r.check(MAC, TARGET); // both in place (iptables -C)
});

test('adding a MAC again replaces its rules instead of doubling them; removing takes one call', async () => {
  const ipt = fakeIptables();
  const r = new EndpointRules('instance-1', 'docker0', ipt.run, undefined, ipt.restore);
  await r.reset();
  await r.add(MAC, TARGET);
  await r.add(MAC, TARGET);
  assert.equal(ipt.count(), 2);
  ipt.calls.length = 0;
  await r.remove(MAC, TARGET);
  assert.equal(ipt.count(), 0);
  assert.deepEqual(ipt.calls.map((c) => c.split(' ')[0]), ['restore']);
});

test('removing a MAC this process never added (or whose rules changed under it) deletes rule by rule until none is left', async () => {
  const ipt = fakeIptables();
  const r = new EndpointRules('instance-1', 'docker0', ipt.run, undefined, ipt.restore);
  await r.reset();
  // Left by someone else: two copies of each.
  for (let i = 0; i < 2; i++) {
    await ipt.run(['-t', 'nat', '-A', r.natChain, '-i', 'docker0', '-p', 'tcp', '-m', 'mac', '--mac-source', MAC, '-j', 'DNAT', '--to-destination', TARGET]);
    await ipt.run(['-t', 'filter', '-A', r.filterChain, '-m', 'mac', '--mac-source', MAC, '-j', 'DROP']);
  }
  await r.remove(MAC, TARGET);
  assert.equal(ipt.count(), 0);

  // Added by this process, then deleted behind its back: the one-call delete fails, the loop finishes quietly.
  await r.add(MAC, TARGET);
  ipt.rules.clear();
  await r.remove(MAC, TARGET);
  assert.equal(ipt.count(), 0);
});

test('a failed iptables-restore is an EndpointRuleError naming both rules, and the MAC is not taken as installed', async () => {
  const ipt = fakeIptables({ failRestore: true });
  const r = new EndpointRules('instance-1', 'docker0', ipt.run, undefined, ipt.restore);
  await r.reset();
  await assert.rejects(r.add(MAC, TARGET), (err: Error) => err.name === 'EndpointRuleError' && err.message.includes('line 2 failed') && err.message.includes('DROP') && err.message.includes('DNAT'));
  ipt.calls.length = 0;
  await r.remove(MAC, TARGET);
  assert.ok(ipt.calls.every((c) => c.startsWith('iptables ')), 'no one-call delete for a MAC never installed');
});

test('restoreInput refuses arguments iptables-restore would split or unquote', () => {
  assert.equal(restoreInput('-A', [{ table: 'nat', rule: ['CHAIN', '-i', 'br 0'] }]), undefined);
  assert.equal(restoreInput('-A', [{ table: 'nat', rule: ['CHAIN', '-i', 'br"0'] }]), undefined);
  assert.equal(restoreInput('-D', [{ table: 'filter', rule: ['C', '-j', 'DROP'] }]), '*filter\n-D C -j DROP\nCOMMIT\n');
});

test('a bridge name iptables-restore cannot take falls back to one iptables call per rule, checked', async () => {
  const ipt = fakeIptables();
  const r = new EndpointRules('instance-1', 'br 0', ipt.run, undefined, ipt.restore);
  await r.reset();
  ipt.calls.length = 0;
  await r.add(MAC, TARGET);
  assert.deepEqual(ipt.calls.map((c) => c.split(' ').slice(0, 4).join(' ')), ['iptables -t filter -A', 'iptables -t nat -A', 'iptables -t nat -C', 'iptables -t filter -C']);
});
