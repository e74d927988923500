import { useApp } from '../app-context';
import { ErrorText, fmtTime, Section } from '../components';
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

export function SchedulesPage() {
  return (
    <>
      <h1>Schedules</h1>
      <Section title="Not available yet">
        <p>EventBridge Scheduler's API is not served by this control plane yet. Once it is, this page lists schedules and their targets, through the same public API.</p>
      </Section>
    </>
  );
}
