import { capacityBars } from '../../model/capacity';
import type { ContainerInstance } from '../../model/ecs-types';
import { useApp } from '../app-context';
import { ActionButton, Bar, ErrorText, fmtTime, Section, StatusBadge } from '../components';
import { Link } from '../router';
import { usePoll } from '../use-poll';
import { Table, type Column } from '../table';
import * as data from '../data';
import { TasksTable } from './tasks-table';

const attributeColumns: Column<{ name: string; value?: string }>[] = [
  { header: 'Name', cell: (a) => a.name },
  { header: 'Value', cell: (a) => a.value ?? '' },
];

export function InstancePage({ cluster, instance }: { cluster: string; instance: string }) {
  const { client, caps, notify } = useApp();
  const p = usePoll(
    async () => {
      const r = await client.call<{ containerInstances?: ContainerInstance[] }>('ecs', 'DescribeContainerInstances', { cluster, containerInstances: [instance] });
      const i = r.containerInstances?.[0];
      if (!i) throw new Error(`Container instance ${instance} was not found in cluster ${cluster}.`);
      const tasks = await data.tasks(client, cluster, { containerInstance: instance });
      return { i, tasks };
    },
    [cluster, instance],
    (d) => d.i.status === 'DRAINING' && (d.i.runningTasksCount ?? 0) > 0,
  );
  const setState = async (status: 'DRAINING' | 'ACTIVE') => {
    await client.call('ecs', 'UpdateContainerInstancesState', { cluster, containerInstances: [instance], status });
    notify(`Instance ${instance.slice(0, 12)} is ${status}.`);
    p.refresh();
  };
  const i = p.data?.i;
  return (
    <>
      <p class="crumbs">
        <Link to={{ page: 'clusters' }}>Clusters</Link> / <Link to={{ page: 'cluster', cluster }}>{cluster}</Link> / instance {instance.slice(0, 12)}
      </p>
      <h1>Instance {i?.ec2InstanceId ?? instance}</h1>
      <ErrorText error={p.error} />
      {i && p.data ? (
        <>
          <div class="summary">
            <span>
              Status <StatusBadge value={i.status} />
            </span>
            <span>Agent {i.agentConnected ? 'connected' : 'disconnected'}</span>
            <span>Registered {fmtTime(i.registeredAt)}</span>
            <span>Agent version {i.versionInfo?.agentVersion ?? '-'}</span>
            {caps.drainInstance ? (
              <span class="actions">
                {i.status === 'DRAINING' ? (
                  <ActionButton label="Activate" title={`Make ${instance.slice(0, 12)} ACTIVE again?`} run={() => setState('ACTIVE')} />
                ) : i.status === 'ACTIVE' ? (
                  <ActionButton label="Drain" danger title={`Drain ${instance.slice(0, 12)}? Its service tasks are replaced elsewhere.`} confirmLabel="Drain" run={() => setState('DRAINING')} />
                ) : null}
              </span>
            ) : null}
          </div>
          <Section title="Capacity">
            {capacityBars(i).map((b) => (
              <Bar key={b.resource} bar={b} label={instance} />
            ))}
          </Section>
          <Section title="Attributes">
            <Table columns={attributeColumns} rows={i.attributes ?? []} rowKey={(a) => a.name} />
          </Section>
          <Section title="Tasks">
            <TasksTable cluster={cluster} tasks={p.data.tasks} />
          </Section>
        </>
      ) : null}
    </>
  );
}
