import { useApp } from '../app-context';
import { ErrorText, fmtTime, Section, StatusBadge } from '../components';
import { usePoll } from '../use-poll';

interface SecretEntry {
  Name: string;
  ARN: string;
  Description?: string;
  CreatedDate?: number;
  LastChangedDate?: number;
}

/** Names and metadata only: the console never asks for a secret's value (GetSecretValue). */
export function SecretsPage() {
  const { client } = useApp();
  const p = usePoll(async () => (await client.call<{ SecretList?: SecretEntry[] }>('secretsmanager', 'ListSecrets', { MaxResults: 100 })).SecretList ?? [], []);
  return (
    <>
      <h1>Secrets</h1>
      <p class="muted">Names and metadata only: values are never read by the console.</p>
      <ErrorText error={p.error} />
      {p.data?.length === 0 ? <p class="muted">No secrets.</p> : null}
      {p.data && p.data.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Created</th>
              <th scope="col">Last changed</th>
            </tr>
          </thead>
          <tbody>
            {p.data.map((s) => (
              <tr key={s.ARN}>
                <td>{s.Name}</td>
                <td>{s.Description ?? ''}</td>
                <td>{fmtTime(s.CreatedDate)}</td>
                <td>{fmtTime(s.LastChangedDate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
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
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Group</th>
                <th scope="col">State</th>
                <th scope="col">Expression</th>
                <th scope="col">Target</th>
                <th scope="col">Modified</th>
              </tr>
            </thead>
            <tbody>
              {p.data.map(({ s, d }) => (
                <tr key={s.Arn ?? `${s.GroupName}/${s.Name}`}>
                  <td>{s.Name}</td>
                  <td>{s.GroupName ?? 'default'}</td>
                  <td>
                    <StatusBadge value={s.State} />
                  </td>
                  <td>
                    {d?.ScheduleExpression ?? '-'}
                    {d?.ScheduleExpressionTimezone ? ` (${d.ScheduleExpressionTimezone})` : ''}
                  </td>
                  <td class="wrap">
                    {s.Target?.Arn ?? '-'}
                    {d?.Target?.EcsParameters?.TaskDefinitionArn ? ` → ${d.Target.EcsParameters.TaskDefinitionArn.slice(d.Target.EcsParameters.TaskDefinitionArn.lastIndexOf('/') + 1)}` : ''}
                  </td>
                  <td>{fmtTime(s.LastModificationDate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
      ) : null}
    </>
  );
}
