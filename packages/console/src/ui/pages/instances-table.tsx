import { capacityBars } from '../../model/capacity';
import type { ContainerInstance } from '../../model/ecs-types';
import { idOf } from '../../routing/routes';
import { Bar, StatusBadge } from '../components';
import { Link } from '../router';

export function InstancesTable({ cluster, instances, usage }: { cluster: string; instances: ContainerInstance[]; usage: Map<string, { cpu?: number; memory?: number }> }) {
  if (instances.length === 0) return <p class="muted">No container instances: join a host with a join token (stevedore cluster join-token create).</p>;
  return (
    <table class="instances">
      <caption class="sr-only">Container instances of {cluster}</caption>
      <thead>
        <tr>
          <th scope="col">Instance</th>
          <th scope="col">Status</th>
          <th scope="col">Agent</th>
          <th scope="col">Tasks</th>
          <th scope="col">CPU and memory (reserved/registered, used)</th>
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => {
          const id = idOf(i.containerInstanceArn);
          return (
            <tr key={i.containerInstanceArn}>
              <td>
                <Link to={{ page: 'instance', cluster, instance: id }}>{i.ec2InstanceId ?? id}</Link>
              </td>
              <td>
                <StatusBadge value={i.status} />
              </td>
              <td>{i.agentConnected ? 'connected' : 'disconnected'}</td>
              <td>
                {i.runningTasksCount ?? 0} running{i.pendingTasksCount ? `, ${i.pendingTasksCount} pending` : ''}
              </td>
              <td class="bars">
                {capacityBars(i, usage.get(i.containerInstanceArn)).map((b) => (
                  <Bar key={b.resource} bar={b} label={i.ec2InstanceId ?? id} />
                ))}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
