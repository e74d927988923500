import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideLease, leaderDeadline, releasedLease, type LeaderLease } from './lease';

const TTL = 10_000;
const lease = (holder: string | null, epoch: number, expiresAt: number): LeaderLease => ({ holder, epoch, expiresAt });

test('decideLease: table of who acquires, renews or follows', () => {
  const rows: Array<{ name: string; current: LeaderLease | undefined; me: string; now: number; myTerm?: number; kind: string; epoch: number; holder?: string | null; expiresAt?: number }> = [
    { name: 'first replica on an empty store', current: undefined, me: 'a', now: 1000, kind: 'acquire', epoch: 1, holder: 'a', expiresAt: 11_000 },
    { name: 'leader renews before expiry', current: lease('a', 4, 5000), me: 'a', now: 4000, kind: 'renew', epoch: 4, holder: 'a', expiresAt: 14_000 },
    { name: 'follower of a live lease', current: lease('a', 4, 5000), me: 'b', now: 4999, kind: 'follow', epoch: 4, holder: 'a' },
    { name: 'expiry is exclusive: at expiresAt it may be taken', current: lease('a', 4, 5000), me: 'b', now: 5000, kind: 'acquire', epoch: 5, holder: 'b', expiresAt: 15_000 },
    { name: 'long expired lease', current: lease('a', 9, 5000), me: 'c', now: 90_000, kind: 'acquire', epoch: 10, holder: 'c' },
    { name: 'released lease is taken before its expiry', current: lease(null, 7, 50_000), me: 'b', now: 1000, kind: 'acquire', epoch: 8, holder: 'b' },
    { name: 'own lapsed lease, no term running here (roles stopped): a new term', current: lease('a', 3, 5000), me: 'a', now: 6000, kind: 'acquire', epoch: 4, holder: 'a' },
    { name: 'own lapsed lease, its term still running here, nobody took it: renewed in place', current: lease('a', 3, 5000), me: 'a', now: 60_000, myTerm: 3, kind: 'renew', epoch: 3, holder: 'a' },
    { name: 'own lease of an older term (we led before, someone led between): a new term', current: lease('a', 5, 5000), me: 'a', now: 6000, myTerm: 3, kind: 'acquire', epoch: 6, holder: 'a' },
    { name: 'a term running here does not outlive another holder', current: lease('b', 4, 50_000), me: 'a', now: 6000, myTerm: 3, kind: 'follow', epoch: 4, holder: 'b' },
    { name: 'a term running here does not take an expired lease of another holder at its old epoch', current: lease('b', 3, 5000), me: 'a', now: 6000, myTerm: 3, kind: 'acquire', epoch: 4, holder: 'a' },
  ];
  for (const r of rows) {
    const d = decideLease(r.current, r.me, r.now, TTL, r.myTerm);
    assert.equal(d.kind, r.kind, r.name);
    if (d.kind === 'follow') {
      assert.equal(d.leader, r.holder, r.name);
      assert.equal(d.epoch, r.epoch, r.name);
    } else {
      assert.equal(d.lease.epoch, r.epoch, r.name);
      assert.equal(d.lease.holder, r.holder, r.name);
      assert.equal(d.lease.expiresAt, r.expiresAt ?? r.now + TTL, r.name);
    }
  }
});

test('decideLease: the epoch never goes back, changes with every holder, and no epoch has two holders', () => {
  // Replicas take turns deciding on what the last one wrote, at random times: a small simulation of the store row.
  // Each replica remembers the term it believes it runs (as LeaderElection does) until its own next decision.
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let row: LeaderLease | undefined;
  let now = 0;
  const running = new Map<string, number>();
  const holderOf = new Map<number, string>();
  let renewedInPlace = 0;
  for (let i = 0; i < 4000; i++) {
    now += Math.floor(rand() * 8000);
    const me = ['a', 'b', 'c'][Math.floor(rand() * 3)]!;
    const before = row;
    const d = decideLease(row, me, now, TTL, running.get(me));
    if (d.kind === 'follow') {
      assert.ok(before && before.holder !== me && now < before.expiresAt);
      running.delete(me);
      continue;
    }
    if (before) {
      assert.ok(d.lease.epoch >= before.epoch);
      if (d.lease.holder !== before.holder) assert.equal(d.lease.epoch, before.epoch + 1);
      // Only the holder keeps its epoch: of a live lease, or of a lapsed one whose term it still runs.
      if (d.lease.epoch === before.epoch) {
        assert.ok(d.kind === 'renew' && before.holder === me && (now < before.expiresAt || running.get(me) === before.epoch));
        if (now >= before.expiresAt) renewedInPlace++;
      }
    }
    assert.equal(holderOf.get(d.lease.epoch) ?? me, me, `epoch ${d.lease.epoch} has one holder`);
    holderOf.set(d.lease.epoch, me);
    running.set(me, d.lease.epoch);
    row = rand() < 0.05 ? releasedLease(d.lease) : d.lease;
  }
  assert.ok(renewedInPlace > 0, 'the simulation reached a lapsed lease renewed in place');
});

test('releasedLease keeps the epoch and drops the holder', () => {
  assert.deepEqual(releasedLease(lease('a', 5, 100)), lease(null, 5, 100));
});

test('leaderDeadline stops the leader a margin before its lease ends', () => {
  assert.equal(leaderDeadline(1000, TTL, 2000), 9000);
  assert.equal(leaderDeadline(1000, TTL, 20_000), 1000);
});

test('decideLease refuses a non-positive ttl', () => {
  assert.throws(() => decideLease(undefined, 'a', 0, 0), RangeError);
});
