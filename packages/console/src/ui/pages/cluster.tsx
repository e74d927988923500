import { useState } from 'preact/hooks';
import { serviceProgress } from '../../model/deployment-progress';
import { taskDefinitionName } from '../../model/ecs-types';
import { idOf } from '../../routing/routes';
import { useApp } from '../app-context';
import { ActionButton, ErrorText, Section, StatusBadge } from '../components';
import { Link, navigate } from '../router';
import { usePoll } from '../use-poll';
import * as data from '../data';
import { InstancesTable } from './instances-table';
import { TasksTable } from './tasks-table';

function CreateService({ cluster, onCreated }: { cluster: string; onCreated: () => void }) {
  const { client, notify } = useApp();
  const [name, setName] = useState('');
  const [taskDefinition, setTaskDefinition] = useState('');
  const [count, setCount] = useState('1');
  const [exec, setExec] = useState(false);
  const [choices, setChoices] = useState<string[]>([]);
  return (
    <span
      onFocusCapture={() => {
        if (choices.length === 0) void data.listAll(client, 'ListTaskDefinitions', { status: 'ACTIVE', sort: 'DESC' }, 'taskDefinitionArns', 200).then((arns) => setChoices(arns.map(taskDefinitionName)));
      }}
    >
      <ActionButton
        label="Create service"
        title={`Create a service in ${cluster}`}
        confirmLabel="Create service"
        run={async () => {
          await client.call('ecs', 'CreateService', { cluster, serviceName: name.trim(), taskDefinition: taskDefinition.trim(), desiredCount: Number(count), ...(exec ? { enableExecuteCommand: true } : {}) });
          notify(`Service ${name} created.`);
          onCreated();
          navigate({ page: 'service', cluster, service: name.trim() });
        }}
      >
        <label>
          Service name
          <input name="serviceName" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Task definition (family:revision)
          <input name="taskDefinition" list="td-choices" required value={taskDefinition} onInput={(e) => setTaskDefinition(e.currentTarget.value)} />
          <datalist id="td-choices">
            {choices.map((c) => (
              <option key={c} value={c} />
            ))}
          </datalist>
        </label>
        <label>
          Desired count
          <input name="desiredCount" type="number" min={0} required value={count} onInput={(e) => setCount(e.currentTarget.value)} />
        </label>
        <label class="inline">
          <input type="checkbox" name="enableExecuteCommand" checked={exec} onChange={(e) => setExec(e.currentTarget.checked)} /> Enable ECS Exec (a terminal in its containers)
        </label>
      </ActionButton>
    </span>
  );
}

export function ClusterPage({ cluster }: { cluster: string }) {
  const { client, caps } = useApp();
  const p = usePoll(
    async () => {
      const [services, instances, running] = await Promise.all([data.services(client, cluster), data.instances(client, cluster), data.tasks(client, cluster, { desiredStatus: 'RUNNING' })]);
      const usage = await data.instanceUsage(client, cluster, running).catch(() => new Map());
      return { services, instances, running, usage };
    },
    [cluster],
    (d) => d.services.some((s) => serviceProgress(s).phase === 'IN_PROGRESS'),
  );
  return (
    <>
      <p class="crumbs">
        <Link to={{ page: 'clusters' }}>Clusters</Link> / {cluster}
      </p>
      <h1>Cluster {cluster}</h1>
      <ErrorText error={p.error} />
      {p.loading && !p.data ? <p class="loading">Loading…</p> : null}
      <Section title="Services" actions={caps.createService ? <CreateService cluster={cluster} onCreated={p.refresh} /> : null}>
        {p.data && p.data.services.length === 0 ? <p class="muted">No services.</p> : null}
        {p.data && p.data.services.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Service</th>
                <th scope="col">Status</th>
                <th scope="col">Desired</th>
                <th scope="col">Running</th>
                <th scope="col">Pending</th>
                <th scope="col">Task definition</th>
                <th scope="col">Deployment</th>
              </tr>
            </thead>
            <tbody>
              {p.data.services.map((s) => {
                const prog = serviceProgress(s);
                return (
                  <tr key={s.serviceArn}>
                    <td>
                      <Link to={{ page: 'service', cluster, service: s.serviceName }}>{s.serviceName}</Link>
                    </td>
                    <td>
                      <StatusBadge value={s.status} />
                    </td>
                    <td>{s.desiredCount}</td>
                    <td>{s.runningCount}</td>
                    <td>{s.pendingCount}</td>
                    <td>{taskDefinitionName(s.taskDefinition)}</td>
                    <td>
                      <StatusBadge value={prog.phase} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </Section>
      <Section title="Container instances">{p.data ? <InstancesTable cluster={cluster} instances={p.data.instances} usage={p.data.usage} /> : null}</Section>
      <Section title="Running tasks">{p.data ? <TasksTable cluster={cluster} tasks={p.data.running} /> : null}</Section>
    </>
  );
}

export { idOf };
