import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { clusterFigures, counterGrowth, targetGroupFigures, utilization, utilizationBase, type TargetCounter, type TaskMetricsInput } from './aggregate';
import { loadBalancerDimension, serviceMetricData, targetGroupDimension, targetGroupMetricData } from './metric-data';

function task(p: Partial<TaskMetricsInput> & { usage?: TaskMetricsInput['usage'] }): TaskMetricsInput {
  return { taskId: 't', clusterName: 'c', family: 'f', base: { cpu: 256, memory: 512 }, reserved: { cpu: 256, memory: 512 }, holdsReservation: true, ...p };
}

describe('utilizationBase', () => {
  const cases: { name: string; taskLevel: { cpu?: number; memory?: number }; containers: { cpu?: number; memory?: number; memoryReservation?: number }[]; want: { cpu: number; memory: number } }[] = [
    { name: 'task-level wins', taskLevel: { cpu: 512, memory: 1024 }, containers: [{ cpu: 100, memory: 200 }], want: { cpu: 512, memory: 1024 } },
    { name: 'container sums', taskLevel: {}, containers: [{ cpu: 100, memory: 200 }, { cpu: 28, memory: 56 }], want: { cpu: 128, memory: 256 } },
    { name: 'hard limit before reservation', taskLevel: {}, containers: [{ memory: 300, memoryReservation: 100 }], want: { cpu: 0, memory: 300 } },
    { name: 'reservation when no hard limit', taskLevel: {}, containers: [{ memoryReservation: 100 }, { memory: 50 }], want: { cpu: 0, memory: 150 } },
    { name: 'task-level cpu only', taskLevel: { cpu: 1024 }, containers: [{ cpu: 10, memoryReservation: 64 }], want: { cpu: 1024, memory: 64 } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(utilizationBase(c.taskLevel, c.containers), c.want));
});

describe('utilization (ECS service CPUUtilization / MemoryUtilization)', () => {
  const cases: { name: string; tasks: TaskMetricsInput[]; want: { cpu?: number; memory?: number; measuredTasks: number } }[] = [
    { name: 'one task at half its cpu', tasks: [task({ usage: { cpuUnits: 128, memoryMiB: 128 } })], want: { cpu: 50, memory: 25, measuredTasks: 1 } },
    {
      name: 'sums, not averages of ratios',
      tasks: [task({ base: { cpu: 256, memory: 512 }, usage: { cpuUnits: 256, memoryMiB: 512 } }), task({ base: { cpu: 768, memory: 512 }, usage: { cpuUnits: 0, memoryMiB: 0 } })],
      want: { cpu: 25, memory: 50, measuredTasks: 2 },
    },
    { name: 'a busy loop without a hard limit exceeds 100', tasks: [task({ usage: { cpuUnits: 1024, memoryMiB: 1 } })], want: { cpu: 400, memory: (1 / 512) * 100, measuredTasks: 1 } },
    { name: 'tasks without a reading count in neither sum', tasks: [task({ usage: { cpuUnits: 64, memoryMiB: 256 } }), task({})], want: { cpu: 25, memory: 50, measuredTasks: 1 } },
    { name: 'no reading: no figure', tasks: [task({})], want: { measuredTasks: 0 } },
    { name: 'no cpu reserved: no cpu figure', tasks: [task({ base: { cpu: 0, memory: 100 }, usage: { cpuUnits: 100, memoryMiB: 10 } })], want: { memory: 10, measuredTasks: 1 } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(utilization(c.tasks), c.want));
});

describe('clusterFigures (CPUReservation / MemoryReservation)', () => {
  it('reserved by tasks holding a reservation over registered capacity', () => {
    const f = clusterFigures(
      [
        task({ reserved: { cpu: 512, memory: 256 }, usage: { cpuUnits: 256, memoryMiB: 128 } }),
        task({ reserved: { cpu: 512, memory: 256 } }),
        task({ reserved: { cpu: 1024, memory: 1024 }, holdsReservation: false }),
      ],
      { cpu: 2048, memory: 1024 },
    );
    // Utilization is against the task's base (256 units, 512 MiB), reservation against the registered capacity.
    assert.deepEqual(f, { measuredTasks: 1, cpu: 100, memory: 25, cpuReservation: 50, memoryReservation: 50 });
  });
  it('no registered capacity: no reservation figure', () => {
    assert.deepEqual(clusterFigures([], { cpu: 0, memory: 0 }), { measuredTasks: 0 });
  });
});

describe('counterGrowth', () => {
  const cases: [number | undefined, number, number | undefined][] = [
    [undefined, 10, undefined],
    [10, 15, 5],
    [10, 10, 0],
    [100, 7, 7], // reset by an HAProxy reload: all of it is new
  ];
  for (const [prev, cur, want] of cases) it(`${prev} -> ${cur}`, () => assert.equal(counterGrowth(prev, cur), want));
});

describe('targetGroupFigures', () => {
  const c = (key: string, requests: number, errors = 0, responseTimeMs = 0): TargetCounter => ({ key, requests, errors, responseTimeMs });
  it('the first period only sets baselines', () => {
    const f = targetGroupFigures({ targetGroupArn: 'tg', targetStates: ['healthy'], counters: [c('a', 500)] }, new Map(), false);
    assert.equal(f.requestCount, 0);
  });
  it('sums growth over hosts and targets, per healthy target, response time weighted by requests', () => {
    const prev = new Map([
      ['a', c('a', 100, 1)],
      ['b', c('b', 50)],
    ]);
    const f = targetGroupFigures({ targetGroupArn: 'tg', targetStates: ['healthy', 'healthy', 'unhealthy', 'initial'], counters: [c('a', 130, 3, 10), c('b', 60, 0, 40), c('new', 20, 0, 10)] }, prev, true);
    assert.equal(f.requestCount, 30 + 10 + 20);
    assert.equal(f.requestCountPerTarget, 30);
    assert.equal(f.httpCodeTarget5xx, 2);
    assert.equal(f.healthyHostCount, 2);
    assert.equal(f.unhealthyHostCount, 1);
    assert.ok(Math.abs(f.targetResponseTime! - (30 * 10 + 10 * 40 + 20 * 10) / 60 / 1000) < 1e-12);
  });
  it('a reset counter (HAProxy reload) counts what it has now', () => {
    const f = targetGroupFigures({ targetGroupArn: 'tg', targetStates: ['healthy'], counters: [c('a', 4)] }, new Map([['a', c('a', 1000)]]), true);
    assert.equal(f.requestCount, 4);
  });
  it('no healthy target: no RequestCountPerTarget; no requests: no response time', () => {
    const f = targetGroupFigures({ targetGroupArn: 'tg', targetStates: ['unhealthy'], counters: [] }, new Map(), true);
    assert.equal(f.requestCountPerTarget, undefined);
    assert.equal(f.targetResponseTime, undefined);
  });
});

describe('CloudWatch dimensions', () => {
  it('ELB dimension values are the ARN resource parts', () => {
    assert.equal(loadBalancerDimension('arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188'), 'app/web/50dc6c495c0c9188');
    assert.equal(targetGroupDimension('arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/73e2d6bc24d8a067'), 'targetgroup/web-tg/73e2d6bc24d8a067');
  });
  it('service metrics carry ClusterName and ServiceName in AWS/ECS', () => {
    const d = serviceMetricData('prod', 'web', { cpu: 12.5, measuredTasks: 1 }, 1000);
    assert.deepEqual(d, [{ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: 'web' }], timestamp: 1000, value: 12.5, unit: 'Percent' }]);
  });
  it('a target group without a load balancer gets only RequestCountPerTarget by TargetGroup', () => {
    const d = targetGroupMetricData('arn:x:targetgroup/t/1', undefined, { requestCount: 4, requestCountPerTarget: 4, httpCodeTarget5xx: 0, healthyHostCount: 1, unhealthyHostCount: 0 }, 0);
    assert.deepEqual(d.map((x) => x.metricName), ['RequestCountPerTarget']);
  });
});
