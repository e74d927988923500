import { useApp } from '../app-context';
import { ErrorText, Section, StatusBadge } from '../components';
import { Link } from '../router';
import { usePoll } from '../use-poll';
import * as data from '../data';
import { InstancesTable } from './instances-table';

export function ClustersPage() {
  const { client } = useApp();
  const p = usePoll(async () => {
    const cs = await data.clusters(client);
    return Promise.all(
      cs.map(async (c) => {
        const instances = await data.instances(client, c.clusterName);
        const running = await data.tasks(client, c.clusterName, { desiredStatus: 'RUNNING' });
        const usage = await data.instanceUsage(client, c.clusterName, running).catch(() => new Map());
        return { cluster: c, instances, usage };
      }),
    );
  }, []);
  return (
    <>
      <h1>Clusters</h1>
      <ErrorText error={p.error} />
      {p.loading && !p.data ? <p class="loading">Loading…</p> : null}
      {p.data?.length === 0 ? <p class="muted">No clusters yet (stevedore cluster create NAME).</p> : null}
      {p.data?.map(({ cluster: c, instances, usage }) => (
        <Section key={c.clusterArn} title={`Cluster ${c.clusterName}`}>
          <p>
            <Link to={{ page: 'cluster', cluster: c.clusterName }} aria-label={`Open cluster ${c.clusterName}`}>
              {c.clusterName}
            </Link>{' '}
            <StatusBadge value={c.status} /> · {c.registeredContainerInstancesCount ?? 0} instances · {c.activeServicesCount ?? 0} services · {c.runningTasksCount ?? 0} running tasks
            {c.pendingTasksCount ? `, ${c.pendingTasksCount} pending` : ''}
          </p>
          <InstancesTable cluster={c.clusterName} instances={instances} usage={usage} />
        </Section>
      ))}
    </>
  );
}
