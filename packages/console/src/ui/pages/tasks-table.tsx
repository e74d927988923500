import { taskDefinitionName, type Task } from '../../model/ecs-types';
import { idOf } from '../../routing/routes';
import { StatusBadge } from '../components';
import { Link } from '../router';

export function TasksTable({ cluster, tasks }: { cluster: string; tasks: Task[] }) {
  if (tasks.length === 0) return <p class="muted">No tasks.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Task</th>
          <th scope="col">Status</th>
          <th scope="col">Health</th>
          <th scope="col">Task definition</th>
          <th scope="col">Instance</th>
          <th scope="col">Zone</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr key={t.taskArn}>
            <td>
              <Link to={{ page: 'task', cluster, task: idOf(t.taskArn) }} aria-label={`Task ${idOf(t.taskArn)}`}>
                {idOf(t.taskArn).slice(0, 12)}
              </Link>
            </td>
            <td>
              <StatusBadge value={t.lastStatus} />
            </td>
            <td>
              <StatusBadge value={t.healthStatus} />
            </td>
            <td>{taskDefinitionName(t.taskDefinitionArn)}</td>
            <td>{t.containerInstanceArn ? idOf(t.containerInstanceArn).slice(0, 12) : '-'}</td>
            <td>{t.availabilityZone ?? '-'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
