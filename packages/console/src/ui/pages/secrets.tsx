import { useApp } from '../app-context';
import { ErrorText, fmtTime, Section, StatusBadge } from '../components';
import { usePoll } from '../use-poll';
import { Table, type Column } from '../table';

interface SecretEntry {
  Name: string;
  ARN: string;
  Description?: string;
  CreatedDate?: number;
  LastChangedDate?: number;
}

const secretColumns: Column<SecretEntry>[] = [
  { header: 'Name', cell: (s) => s.Name },
  { header: 'Description', cell: (s) => s.Description ?? '' },
  { header: 'Created', cell: (s) => fmtTime(s.CreatedDate) },
  { header: 'Last changed', cell: (s) => fmtTime(s.LastChangedDate) },
];

/** Names and metadata only: the console never asks for a secret's value (GetSecretValue). */
export function SecretsPage() {
  const { client } = useApp();
  const p = usePoll(async () => (await client.call<{ SecretList?: SecretEntry[] }>('secretsmanager', 'ListSecrets', { MaxResults: 100 })).SecretList ?? [], []);
  return (
    <>
      <h1>Secrets</h1>
      <p class="muted">Names and metadata only: values are never read by the console.</p>
      <ErrorText error={p.error} />
      {p.data ? <Table columns={secretColumns} rows={p.data} rowKey={(s) => s.ARN} label="Secrets" empty={<p class="muted">No secrets.</p>} /> : null}
    </>
  );
}

interface ScheduleSummary {
  Name: string;
  GroupName?: string;
  State?: string;
  Arn?: string;
  Target?: { Arn?: string };
  LastModificationDate?: number;
}

interface ScheduleDetail {
  ScheduleExpression?: string;
  ScheduleExpressionTimezone?: string;
  Target?: { Arn?: string; EcsParameters?: { TaskDefinitionArn?: string; TaskCount?: number } };
}

type ScheduleRow = { s: ScheduleSummary; d: ScheduleDetail | undefined };

const scheduleColumns: Column<ScheduleRow>[] = [
  { header: 'Name', cell: ({ s }) => s.Name },
  { header: 'Group', cell: ({ s }) => s.GroupName ?? 'default' },
  { header: 'State', cell: ({ s }) => <StatusBadge value={s.State} /> },
  { header: 'Expression', cell: ({ d }) => `${d?.ScheduleExpression ?? '-'}${d?.ScheduleExpressionTimezone ? ` (${d.ScheduleExpressionTimezone})` : ''}` },
  {
    header: 'Target',
    class: 'wrap',
    cell: ({ s, d }) => {
      const td = d?.Target?.EcsParameters?.TaskDefinitionArn;
      return `${s.Target?.Arn ?? '-'}${td ? ` → ${td.slice(td.lastIndexOf('/') + 1)}` : ''}`;
    },
  },
  { header: 'Modified', cell: ({ s }) => fmtTime(s.LastModificationDate) },
];

/** EventBridge Scheduler's schedules (REST-JSON: ListSchedules, then GetSchedule for each one's expression and target). */
export function SchedulesPage() {
  const { client } = useApp();
  const p = usePoll(async () => {
    const list = (await client.restGet<{ Schedules?: ScheduleSummary[] }>('scheduler', '/schedules', { MaxResults: '100' })).Schedules ?? [];
    return Promise.all(
      list.map(async (s) => ({
        s,
        d: await client.restGet<ScheduleDetail>('scheduler', `/schedules/${encodeURIComponent(s.Name)}`, s.GroupName ? { groupName: s.GroupName } : {}).catch(() => undefined),
      })),
    );
  }, []);
  return (
    <>
      <h1>Schedules</h1>
      <ErrorText error={p.error} />
      {p.data?.length === 0 ? <p class="muted">No schedules (aws scheduler create-schedule, or stevedore's CLI).</p> : null}
      {p.data && p.data.length > 0 ? (
        <Section title="EventBridge Scheduler">
          <Table columns={scheduleColumns} rows={p.data} rowKey={({ s }) => s.Arn ?? `${s.GroupName}/${s.Name}`} />
        </Section>
      ) : null}
    </>
  );
}
