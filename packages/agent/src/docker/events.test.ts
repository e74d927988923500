import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JsonLines, parseDockerEvent } from './events';
import { LogDemuxer } from './log-demux';
import { toNetworkBindings } from './docker-controller';

const ev = (Action: string, Attributes: Record<string, string> = {}) => ({ Type: 'container', Action, Actor: { ID: 'abc', Attributes: { 'stevedore.task': 't', ...Attributes } }, time: 10, timeNano: 10_500_000_000 });

describe('parseDockerEvent', () => {
  it('maps the actions the agent reacts to', () => {
    assert.deepEqual(parseDockerEvent(ev('die', { exitCode: '137' })), { kind: 'die', runtimeId: 'abc', labels: { 'stevedore.task': 't', exitCode: '137' }, exitCode: 137, time: 10_500 });
    assert.equal(parseDockerEvent(ev('start'))?.kind, 'start');
    assert.equal(parseDockerEvent(ev('oom'))?.kind, 'oom');
    assert.equal(parseDockerEvent(ev('destroy'))?.kind, 'destroy');
    assert.deepEqual(parseDockerEvent(ev('health_status: healthy'))?.health, 'healthy');
    assert.deepEqual(parseDockerEvent(ev('health_status: unhealthy'))?.health, 'unhealthy');
  });
  it('ignores exec_* probes, other actions and other object types', () => {
    assert.equal(parseDockerEvent(ev('exec_create: /bin/sh -c true')), undefined);
    assert.equal(parseDockerEvent(ev('exec_start: /bin/sh -c true')), undefined);
    assert.equal(parseDockerEvent(ev('exec_die')), undefined);
    assert.equal(parseDockerEvent(ev('attach')), undefined);
    assert.equal(parseDockerEvent(ev('resize')), undefined);
    assert.equal(parseDockerEvent({ ...ev('create'), Type: 'network' }), undefined);
  });
});

describe('JsonLines', () => {
  it('handles several events per chunk and events split across chunks', () => {
    const j = new JsonLines();
    assert.deepEqual(j.push('{"a":1}\n{"b"'), [{ a: 1 }]);
    assert.deepEqual(j.push(':2}\n\n{"c":3}\n'), [{ b: 2 }, { c: 3 }]);
    assert.deepEqual(j.push('garbage\n'), []);
  });
});

describe('LogDemuxer', () => {
  const frame = (type: number, text: string) => {
    const body = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32BE(body.length, 4);
    return Buffer.concat([h, body]);
  };
  it('splits stdout and stderr frames, across chunk boundaries', () => {
    const d = new LogDemuxer();
    const all = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more\n')]);
    const a = d.push(all.subarray(0, 5));
    const b = d.push(all.subarray(5, 15));
    const c = d.push(all.subarray(15));
    assert.deepEqual([...a, ...b, ...c].map((f) => [f.stream, f.data.toString()]), [['stdout', 'out\n'], ['stderr', 'err\n'], ['stdout', 'more\n']]);
  });
});

describe('toNetworkBindings', () => {
  it('reports host ip bindings, hides IPv6 and unpublished ports', () => {
    assert.deepEqual(
      toNetworkBindings({
        '8080/tcp': [{ HostIp: '127.0.0.2', HostPort: '32768' }, { HostIp: '::', HostPort: '32768' }],
        '53/udp': [{ HostIp: '127.0.0.2', HostPort: '5353' }],
        '9000/tcp': null as never,
      }),
      [
        { bindIP: '127.0.0.2', containerPort: 53, hostPort: 5353, protocol: 'udp' },
        { bindIP: '127.0.0.2', containerPort: 8080, hostPort: 32768, protocol: 'tcp' },
      ],
    );
  });
});
