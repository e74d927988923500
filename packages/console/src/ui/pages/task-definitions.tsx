import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../../api/api-client';
import { canonicalJson, diffLines, registrableTaskDefinition } from '../../model/json-diff';
import { fieldOfMessage, lineRange, locateJsonPath, parseFieldPath } from '../../model/json-locate';
import { revisionOf } from '../../model/rollback';
import { useApp } from '../app-context';
import { ErrorText, Section } from '../components';
import { Link, navigate } from '../router';
import { usePoll } from '../use-poll';
import * as data from '../data';

function RegisterForm() {
  const { client, notify } = useApp();
  const [text, setText] = useState('');
  const [error, setError] = useState<{ message: string; line?: number; field?: string }>();
  const lines = text.split('\n');
  const area = useRef<HTMLTextAreaElement>(null);
  return (
    <form
      aria-label="Register a task definition"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch (err) {
          setError({ message: `Not valid JSON: ${err instanceof Error ? err.message : String(err)}` });
          return;
        }
        try {
          const r = await client.call<{ taskDefinition: { family: string; revision: number } }>('ecs', 'RegisterTaskDefinition', body);
          notify(`Registered ${r.taskDefinition.family}:${r.taskDefinition.revision}.`);
          navigate({ page: 'task-definition', family: r.taskDefinition.family, revision: r.taskDefinition.revision });
        } catch (err) {
          const message = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
          const field = err instanceof ApiError && body && typeof body === 'object' ? fieldOfMessage(err.message, Object.keys(body)) : undefined;
          const path = field ? parseFieldPath(field) : undefined;
          const at = path ? locateJsonPath(text, path) : undefined;
          setError({ message, ...(at ? { line: at.line } : {}), ...(field ? { field } : {}) });
          // The caret goes to the field the API named, its line selected, where the user can fix it.
          const range = at ? lineRange(text, at.line) : undefined;
          if (range && area.current) {
            area.current.focus();
            area.current.setSelectionRange(range.start, range.end);
          }
        }
      }}
    >
      <label for="td-json">Task definition JSON (as RegisterTaskDefinition takes it)</label>
      <div class="editor">
        <textarea ref={area} id="td-json" name="taskDefinitionJson" rows={16} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} aria-invalid={error ? 'true' : 'false'} aria-describedby="td-error" />
      </div>
      <div id="td-error">
        {error ? (
          <div role="alert" class="error">
            {error.message}
            {error.line !== undefined ? (
              <pre class="error-at" data-field={error.field}>
                {`line ${error.line} (${error.field}): ${lines[error.line - 1]?.trim() ?? ''}`}
              </pre>
            ) : null}
          </div>
        ) : null}
      </div>
      <button type="submit" class="primary">
        Register
      </button>
    </form>
  );
}

export function TaskDefinitionsPage() {
  const { client, caps } = useApp();
  const p = usePoll(() => data.listAll(client, 'ListTaskDefinitionFamilies', { status: 'ACTIVE' }, 'families'), []);
  return (
    <>
      <h1>Task definitions</h1>
      <ErrorText error={p.error} />
      <Section title="Families">
        {p.data?.length === 0 ? <p class="muted">No task definitions.</p> : null}
        <ul>
          {p.data?.map((f) => (
            <li key={f}>
              <Link to={{ page: 'task-definition', family: f }}>{f}</Link>
            </li>
          ))}
        </ul>
      </Section>
      {caps.registerTaskDefinition ? (
        <Section title="Register">
          <RegisterForm />
        </Section>
      ) : null}
    </>
  );
}

export function TaskDefinitionPage({ family, revision }: { family: string; revision?: number }) {
  const { client } = useApp();
  const [against, setAgainst] = useState<string>('');
  const p = usePoll(async () => {
    const arns = await data.listAll(client, 'ListTaskDefinitions', { familyPrefix: family, sort: 'DESC' }, 'taskDefinitionArns', 500);
    const revisions = arns.map((a) => revisionOf(a)).filter((r): r is { family: string; revision: number } => r !== undefined && r.family === family);
    const shown = revision ?? revisions[0]?.revision;
    if (shown === undefined) throw new Error(`No revisions of ${family}.`);
    const td = (await client.call<{ taskDefinition: Record<string, unknown> }>('ecs', 'DescribeTaskDefinition', { taskDefinition: `${family}:${shown}` })).taskDefinition;
    return { revisions: revisions.map((r) => r.revision), shown, td };
  }, [family, revision]);
  const diff = usePoll(async () => {
    if (!against) return undefined;
    return (await client.call<{ taskDefinition: Record<string, unknown> }>('ecs', 'DescribeTaskDefinition', { taskDefinition: `${family}:${against}` })).taskDefinition;
  }, [family, against]);
  const d = p.data;
  const lines = d && diff.data ? diffLines(canonicalJson(registrableTaskDefinition(diff.data)), canonicalJson(registrableTaskDefinition(d.td))) : undefined;
  return (
    <>
      <p class="crumbs">
        <Link to={{ page: 'task-definitions' }}>Task definitions</Link> / {family}
      </p>
      <h1>
        {family}
        {d ? `:${d.shown}` : ''}
      </h1>
      <ErrorText error={p.error} />
      {d ? (
        <>
          <Section title="Revisions">
            <ul class="revisions">
              {d.revisions.map((r) => (
                <li key={r}>
                  {r === d.shown ? <strong aria-current="page">{r}</strong> : <Link to={{ page: 'task-definition', family, revision: r }}>{r}</Link>}
                </li>
              ))}
            </ul>
          </Section>
          <Section title="Compare">
            <label>
              Compare revision {d.shown} with{' '}
              <select name="compareWith" value={against} onChange={(e) => setAgainst(e.currentTarget.value)}>
                <option value="">(choose a revision)</option>
                {d.revisions
                  .filter((r) => r !== d.shown)
                  .map((r) => (
                    <option key={r} value={String(r)}>
                      {r}
                    </option>
                  ))}
              </select>
            </label>
            {lines ? (
              <pre class="diff" aria-label={`Differences between revision ${against} and ${d.shown}`}>
                {lines.map((l, i) => (
                  <span key={i} class={`diff-${l.kind}`}>
                    {l.kind === 'added' ? '+ ' : l.kind === 'removed' ? '- ' : '  '}
                    {l.text}
                    {'\n'}
                  </span>
                ))}
              </pre>
            ) : null}
          </Section>
          <Section title="JSON">
            <pre class="json" tabIndex={0} aria-label="Task definition JSON">
              {canonicalJson(d.td)}
            </pre>
          </Section>
        </>
      ) : null}
    </>
  );
}
