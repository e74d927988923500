import { taskDefinitionName, type Task } from '../../model/ecs-types';
import { idOf } from '../../routing/routes';
import { StatusBadge } from '../components';
import { Link } from '../router';
import { Table, type Column } from '../table';

const columns = (cluster: string): Column<Task>[] => [
  {
    header: 'Task',
    cell: (t) => (
      <Link to={{ page: 'task', cluster, task: idOf(t.taskArn) }} aria-label={`Task ${idOf(t.taskArn)}`}>
        {idOf(t.taskArn).slice(0, 12)}
      </Link>
    ),
  },
  { header: 'Status', cell: (t) => <StatusBadge value={t.lastStatus} /> },
  { header: 'Health', cell: (t) => <StatusBadge value={t.healthStatus} /> },
  { header: 'Task definition', cell: (t) => taskDefinitionName(t.taskDefinitionArn) },
  { header: 'Instance', cell: (t) => (t.containerInstanceArn ? idOf(t.containerInstanceArn).slice(0, 12) : '-') },
  { header: 'Zone', cell: (t) => t.availabilityZone ?? '-' },
];

export function TasksTable({ cluster, tasks }: { cluster: string; tasks: Task[] }) {
  return <Table columns={columns(cluster)} rows={tasks} rowKey={(t) => t.taskArn} empty={<p class="muted">No tasks.</p>} />;
}
