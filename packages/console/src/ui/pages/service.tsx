import { useState } from 'preact/hooks';
import { groupTasksByPlacement, serviceProgress } from '../../model/deployment-progress';
import { taskDefinitionName, type Service, type Task } from '../../model/ecs-types';
import { registrableTaskDefinition, withImage } from '../../model/json-diff';
import { alignSeries, metricDataInput, type MetricDataResult, type MetricQuery } from '../../model/metric-series';
import { previousRevision, revisionOf } from '../../model/rollback';
import { idOf } from '../../routing/routes';
import { useApp } from '../app-context';
import { ActionButton, ErrorText, fmtTime, Progress, Section, StatusBadge } from '../components';
import { Chart } from '../chart';
import { Link } from '../router';
import { usePoll } from '../use-poll';
import { Table, type Column } from '../table';
import * as data from '../data';
import type { ApiClient } from '../../api/api-client';

interface TargetHealth {
  Target?: { Id?: string; Port?: number };
  TargetHealth?: { State?: string; Reason?: string; Description?: string };
}

/** `targetgroup/name/id`: the TargetGroup dimension of a target group ARN, as ELB publishes it. */
const tgDimension = (arn: string) => arn.slice(arn.indexOf('targetgroup/'));

async function loadService(client: ApiClient, cluster: string, name: string) {
  const s = await data.service(client, cluster, name);
  if (!s) throw new Error(`Service ${name} was not found in cluster ${cluster}.`);
  const tasks = await data.tasks(client, cluster, { serviceName: name, desiredStatus: 'RUNNING' });
  const tgs = (s.loadBalancers ?? []).map((l) => l.targetGroupArn).filter((a): a is string => Boolean(a));
  const health = await Promise.all(
    tgs.map(async (arn) => ({ arn, targets: (await client.call<{ TargetHealthDescriptions?: TargetHealth[] }>('elbv2', 'DescribeTargetHealth', { TargetGroupArn: arn })).TargetHealthDescriptions ?? [] })),
  );
  const resourceId = `service/${cluster}/${name}`;
  const scaling = await Promise.all([
    client.call<{ ScalableTargets?: { MinCapacity?: number; MaxCapacity?: number }[] }>('autoscaling', 'DescribeScalableTargets', { ServiceNamespace: 'ecs', ResourceIds: [resourceId] }),
    client.call<{ ScalingPolicies?: { PolicyName: string; PolicyType?: string; TargetTrackingScalingPolicyConfiguration?: { TargetValue?: number; PredefinedMetricSpecification?: { PredefinedMetricType?: string } } }[] }>('autoscaling', 'DescribeScalingPolicies', { ServiceNamespace: 'ecs', ResourceId: resourceId }),
    client.call<{ ScalingActivities?: { ActivityId: string; Description?: string; Cause?: string; StatusCode?: string; StartTime?: number }[] }>('autoscaling', 'DescribeScalingActivities', { ServiceNamespace: 'ecs', ResourceId: resourceId, MaxResults: 10 }),
  ]).catch(() => undefined);
  const queries: MetricQuery[] = [
    { id: 'cpu', namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: { ClusterName: cluster, ServiceName: name }, stat: 'Average' },
    { id: 'mem', namespace: 'AWS/ECS', metricName: 'MemoryUtilization', dimensions: { ClusterName: cluster, ServiceName: name }, stat: 'Average' },
    ...tgs.slice(0, 1).map((arn): MetricQuery => ({ id: 'req', namespace: 'AWS/ApplicationELB', metricName: 'RequestCountPerTarget', dimensions: { TargetGroup: tgDimension(arn) }, stat: 'Sum' })),
  ];
  const metrics = await client
    .call<{ MetricDataResults?: MetricDataResult[] }>('cloudwatch', 'GetMetricData', metricDataInput(queries, Date.now(), 60))
    .then((r) => r.MetricDataResults ?? [])
    .catch(() => [] as MetricDataResult[]);
  return { s, tasks, health, scaling, metrics, hasRequests: tgs.length > 0 };
}

type DeploymentRow = NonNullable<ReturnType<typeof serviceProgress>['primary']>;

const deploymentColumns: Column<DeploymentRow>[] = [
  { header: 'Deployment', cell: (x) => x.id },
  { header: 'Status', cell: (x) => <StatusBadge value={x.status} /> },
  { header: 'Revision', cell: (x) => x.revision },
  {
    header: 'Rollout',
    cell: (x) => (
      <>
        <StatusBadge value={x.rolloutState} />
        {x.rolloutStateReason ? <div class="muted small">{x.rolloutStateReason}</div> : null}
      </>
    ),
  },
  { header: 'Desired', cell: (x) => x.desired },
  { header: 'Running', cell: (x) => x.running },
  { header: 'Pending', cell: (x) => x.pending },
  { header: 'Failed', cell: (x) => x.failed },
  { header: 'Progress', cell: (x) => <Progress percent={x.percent} label={`Deployment ${x.id} ${x.percent}%`} /> },
];

function DeployAction({ s, cluster, onDone }: { s: Service; cluster: string; onDone: () => void }) {
  const { client, notify } = useApp();
  const [mode, setMode] = useState<'image' | 'revision'>('image');
  const [container, setContainer] = useState('');
  const [image, setImage] = useState('');
  const [revision, setRevision] = useState('');
  return (
    <ActionButton
      label="Deploy"
      title={`Deploy to ${s.serviceName}`}
      confirmLabel="Deploy"
      run={async () => {
        let target = revision.trim();
        if (mode === 'image') {
          const td = (await client.call<{ taskDefinition: Record<string, unknown> }>('ecs', 'DescribeTaskDefinition', { taskDefinition: s.taskDefinition })).taskDefinition;
          const defs = (td['containerDefinitions'] as { name: string }[] | undefined) ?? [];
          const name = container.trim() || defs[0]?.name || '';
          const r = await client.call<{ taskDefinition: { taskDefinitionArn: string } }>('ecs', 'RegisterTaskDefinition', withImage(registrableTaskDefinition(td), name, image.trim()));
          target = r.taskDefinition.taskDefinitionArn;
        }
        await client.call('ecs', 'UpdateService', { cluster, service: s.serviceName, taskDefinition: target });
        notify(`Deploying ${taskDefinitionName(target) === '-' ? target : taskDefinitionName(target)} to ${s.serviceName}.`);
        onDone();
      }}
    >
      <fieldset>
        <legend>What to deploy</legend>
        <label class="inline">
          <input type="radio" name="mode" checked={mode === 'image'} onChange={() => setMode('image')} /> A new image
        </label>
        <label class="inline">
          <input type="radio" name="mode" checked={mode === 'revision'} onChange={() => setMode('revision')} /> A task definition revision
        </label>
      </fieldset>
      {mode === 'image' ? (
        <>
          <label>
            Image
            <input name="image" required value={image} onInput={(e) => setImage(e.currentTarget.value)} />
          </label>
          <label>
            Container (default: the first)
            <input name="container" value={container} onInput={(e) => setContainer(e.currentTarget.value)} />
          </label>
        </>
      ) : (
        <label>
          Task definition (family:revision or ARN)
          <input name="revision" required value={revision} onInput={(e) => setRevision(e.currentTarget.value)} />
        </label>
      )}
    </ActionButton>
  );
}

function ServiceActions({ s, cluster, onDone }: { s: Service; cluster: string; onDone: () => void }) {
  const { client, caps, notify } = useApp();
  const [count, setCount] = useState(String(s.desiredCount));
  if (s.status !== 'ACTIVE') return null;
  return (
    <>
      {caps.deploy ? <DeployAction s={s} cluster={cluster} onDone={onDone} /> : null}
      {caps.scale ? (
        <ActionButton
          label="Scale"
          title={`Scale ${s.serviceName}`}
          confirmLabel="Scale"
          run={async () => {
            await client.call('ecs', 'UpdateService', { cluster, service: s.serviceName, desiredCount: Number(count) });
            notify(`${s.serviceName} scaled to ${count}.`);
            onDone();
          }}
        >
          <label>
            Desired count
            <input name="desiredCount" type="number" min={0} required value={count} onInput={(e) => setCount(e.currentTarget.value)} />
          </label>
        </ActionButton>
      ) : null}
      {caps.forceNewDeployment ? (
        <ActionButton
          label="Force new deployment"
          title={`Replace every task of ${s.serviceName} with the same revision?`}
          run={async () => {
            await client.call('ecs', 'UpdateService', { cluster, service: s.serviceName, forceNewDeployment: true });
            notify(`New deployment of ${s.serviceName} started.`);
            onDone();
          }}
        />
      ) : null}
      {caps.rollback ? (
        <ActionButton
          label="Roll back"
          title={`Deploy the previous revision of ${s.serviceName}?`}
          run={async () => {
            const family = revisionOf(s.taskDefinition ?? '')?.family;
            const arns = family ? await data.listAll(client, 'ListTaskDefinitions', { familyPrefix: family, status: 'ACTIVE', sort: 'DESC' }, 'taskDefinitionArns', 200) : [];
            const target = previousRevision(s, arns);
            if (!target) throw new Error(`${taskDefinitionName(s.taskDefinition)} has no earlier ACTIVE revision to roll back to.`);
            await client.call('ecs', 'UpdateService', { cluster, service: s.serviceName, taskDefinition: target });
            notify(`Rolling back ${s.serviceName} to ${taskDefinitionName(target)}.`);
            onDone();
          }}
        />
      ) : null}
    </>
  );
}

function TaskPlacement({ cluster, tasks }: { cluster: string; tasks: Task[] }) {
  const groups = groupTasksByPlacement(tasks);
  if (groups.length === 0) return <p class="muted">No running tasks.</p>;
  return (
    <ul class="placement">
      {groups.map((g) => (
        <li key={`${g.zone}/${g.instance}`}>
          <strong>{g.zone}</strong> · instance {g.instance.slice(0, 12)}:{' '}
          {g.tasks.map((t) => (
            <span key={t.taskArn} class="task-chip">
              <Link to={{ page: 'task', cluster, task: idOf(t.taskArn) }} aria-label={`Task ${idOf(t.taskArn)}`}>
                {idOf(t.taskArn).slice(0, 8)}
              </Link>{' '}
              <StatusBadge value={t.lastStatus} />
            </span>
          ))}
        </li>
      ))}
    </ul>
  );
}

export function ServicePage({ cluster, service }: { cluster: string; service: string }) {
  const { client } = useApp();
  const p = usePoll(() => loadService(client, cluster, service), [cluster, service], (d) => serviceProgress(d.s, d.tasks).phase === 'IN_PROGRESS');
  const d = p.data;
  const prog = d ? serviceProgress(d.s, d.tasks) : undefined;
  return (
    <>
      <p class="crumbs">
        <Link to={{ page: 'clusters' }}>Clusters</Link> / <Link to={{ page: 'cluster', cluster }}>{cluster}</Link> / {service}
      </p>
      <h1>Service {service}</h1>
      <ErrorText error={p.error} />
      {p.loading && !d ? <p class="loading">Loading…</p> : null}
      {d && prog ? (
        <>
          <div class="summary">
            <span>
              Status <StatusBadge value={d.s.status} />
            </span>
            <span>Desired {d.s.desiredCount}</span>
            <span>Running {d.s.runningCount}</span>
            <span>Pending {d.s.pendingCount}</span>
            <span>Task definition {taskDefinitionName(d.s.taskDefinition)}</span>
            <span class="actions">
              <ServiceActions s={d.s} cluster={cluster} onDone={p.refresh} />
            </span>
          </div>
          <Section title="Deployments">
            <p data-phase={prog.phase} data-revision={prog.primary?.revision}>
              Rollout <StatusBadge value={prog.phase} /> <span class="progress-line">{prog.line}</span>
            </p>
            <Table columns={deploymentColumns} rows={[...(prog.primary ? [prog.primary] : []), ...prog.others]} rowKey={(x) => x.id} rowAttrs={(x) => ({ 'data-deployment': x.id })} />
          </Section>
          <Section title="Tasks by zone and instance">
            <TaskPlacement cluster={cluster} tasks={d.tasks} />
          </Section>
          {d.health.length > 0 ? (
            <Section title="Target health">
              {d.health.map((h) => (
                <div key={h.arn}>
                  <p class="muted">{tgDimension(h.arn)}</p>
                  {h.targets.length === 0 ? <p class="muted">No registered targets.</p> : null}
                  <ul>
                    {h.targets.map((t) => (
                      <li key={`${t.Target?.Id}:${t.Target?.Port}`}>
                        {t.Target?.Id}:{t.Target?.Port} <StatusBadge value={t.TargetHealth?.State} /> {t.TargetHealth?.Description ?? t.TargetHealth?.Reason ?? ''}
                      </li>
                    ))}
                  </ul>
                </div>
              ))}
            </Section>
          ) : null}
          <Section title="Metrics">
            <div class="charts">
              <Chart title="CPU utilization" data={alignSeries(d.metrics, ['cpu'])} series={['CPU']} unit="%" />
              <Chart title="Memory utilization" data={alignSeries(d.metrics, ['mem'])} series={['Memory']} unit="%" />
              {d.hasRequests ? <Chart title="Requests per target" data={alignSeries(d.metrics, ['req'])} series={['Requests']} unit="count" /> : null}
            </div>
          </Section>
          <Section title="Auto scaling">
            {!d.scaling ? <p class="muted">Scaling information is not available to this key.</p> : null}
            {d.scaling && (d.scaling[0].ScalableTargets ?? []).length === 0 ? <p class="muted">Not registered as a scalable target.</p> : null}
            {d.scaling?.[0].ScalableTargets?.map((t, i) => (
              <p key={i}>
                Capacity {t.MinCapacity}–{t.MaxCapacity}
              </p>
            ))}
            <ul>
              {d.scaling?.[1].ScalingPolicies?.map((pol) => (
                <li key={pol.PolicyName}>
                  {pol.PolicyName} ({pol.PolicyType}) {pol.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType ?? ''} target{' '}
                  {pol.TargetTrackingScalingPolicyConfiguration?.TargetValue ?? '-'}
                </li>
              ))}
            </ul>
            {(d.scaling?.[2].ScalingActivities ?? []).length > 0 ? (
              <ul>
                {d.scaling?.[2].ScalingActivities?.map((a) => (
                  <li key={a.ActivityId}>
                    {fmtTime(a.StartTime)} <StatusBadge value={a.StatusCode} /> {a.Description} — {a.Cause}
                  </li>
                ))}
              </ul>
            ) : null}
          </Section>
          <Section title="Events">
            <ol class="events" aria-live="polite">
              {(d.s.events ?? []).slice(0, 25).map((e) => (
                <li key={e.id}>
                  <time>{fmtTime(e.createdAt)}</time> {e.message}
                </li>
              ))}
            </ol>
          </Section>
        </>
      ) : null}
    </>
  );
}
