import { useEffect, useRef, useState } from 'preact/hooks';
import { taskDefinitionName, type Container, type Task } from '../../model/ecs-types';
import { execAvailability } from '../../model/exec-availability';
import { idOf } from '../../routing/routes';
import { useApp } from '../app-context';
import { ActionButton, ErrorText, fmtTime, Section, StatusBadge } from '../components';
import { Link } from '../router';
import { usePoll } from '../use-poll';
import { Table, type Column } from '../table';
import { ExecTerminal } from '../terminal';

const MAX_LOG_LINES = 2000;

/** A host port as a link: a wildcard bind address is reached at the host the console was opened on. */
function portHref(bindIP: string | undefined, hostPort: number): string {
  const host = !bindIP || bindIP === '0.0.0.0' || bindIP === '::' ? location.hostname : bindIP.includes(':') ? `[${bindIP}]` : bindIP;
  return `http://${host}:${hostPort}/`;
}

const containerColumns: Column<Container>[] = [
  { header: 'Container', cell: (c) => c.name },
  { header: 'Image', cell: (c) => c.image, class: 'wrap' },
  { header: 'Status', cell: (c) => <StatusBadge value={c.lastStatus} /> },
  { header: 'Health', cell: (c) => <StatusBadge value={c.healthStatus} /> },
  { header: 'Exit code', cell: (c) => c.exitCode ?? '-' },
  { header: 'Reason', cell: (c) => c.reason ?? '-', class: 'wrap' },
  {
    header: 'Ports',
    cell: (c) =>
      (c.networkBindings ?? [])
        .filter((b) => b.hostPort)
        .map((b) => (
          <a key={`${b.bindIP}:${b.hostPort}`} href={portHref(b.bindIP, b.hostPort!)} target="_blank" rel="noopener noreferrer">
            {b.hostPort}→{b.containerPort}/{b.protocol ?? 'tcp'}
          </a>
        )),
  },
];

function Logs({ cluster, task, container }: { cluster: string; task: string; container: string }) {
  const { client } = useApp();
  const [lines, setLines] = useState<{ stream: string; data: string }[]>([]);
  const [follow, setFollow] = useState(false);
  const [error, setError] = useState<string>();
  const [state, setState] = useState<'loading' | 'open' | 'ended'>('loading');
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setError(undefined);
    setState('loading');
    let buffer: { stream: string; data: string }[] = [];
    let flush: ReturnType<typeof setTimeout> | undefined;
    client
      .stream(
        'stevedore',
        'GetTaskLogs',
        { cluster, task, containerName: container, follow, tail: 500 },
        (l) => {
          if (typeof l['data'] !== 'string') return;
          buffer.push({ stream: String(l['stream'] ?? 'stdout'), data: l['data'] });
          setState('open');
          // Batched: a chatty container must not re-render the page per line.
          flush ??= setTimeout(() => {
            flush = undefined;
            const add = buffer;
            buffer = [];
            setLines((cur) => [...cur, ...add].slice(-MAX_LOG_LINES));
          }, 100);
        },
        abort.signal,
      )
      .then(() => {
        setState('ended');
        // What the pending flush would add, added now and once (the flush must not add it again).
        if (flush) clearTimeout(flush);
        flush = undefined;
        const rest = buffer;
        buffer = [];
        if (rest.length) setLines((cur) => [...cur, ...rest].slice(-MAX_LOG_LINES));
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(e instanceof Error ? e.message : String(e));
        setState('ended');
      });
    return () => {
      abort.abort();
      if (flush) clearTimeout(flush);
    };
  }, [cluster, task, container, follow]);
  useEffect(() => {
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [lines]);
  return (
    <div class="logs" data-state={state}>
      <label class="inline">
        <input type="checkbox" name="follow" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} /> Follow
      </label>
      <span class="muted"> {state === 'loading' ? 'loading…' : follow && state === 'open' ? 'following' : `${lines.length} ${lines.length === 1 ? 'line' : 'lines'}`}</span>
      <ErrorText error={error} />
      <pre ref={pre} class="log-lines" tabIndex={0} aria-label={`Logs of container ${container}`}>
        {lines.map((l, i) => (
          <span key={i} class={l.stream === 'stderr' ? 'stderr' : ''}>
            {l.data.endsWith('\n') ? l.data : `${l.data}\n`}
          </span>
        ))}
      </pre>
    </div>
  );
}

export function TaskPage({ cluster, task }: { cluster: string; task: string }) {
  const { client, caps, notify } = useApp();
  const [logsOf, setLogsOf] = useState<string>();
  const [execIn, setExecIn] = useState<string>();
  // A new session each time the terminal is opened again.
  const [execGeneration, setExecGeneration] = useState(0);
  const p = usePoll(
    async () => {
      const r = await client.call<{ tasks?: Task[] }>('ecs', 'DescribeTasks', { cluster, tasks: [task] });
      const t = r.tasks?.[0];
      if (!t) throw new Error(`Task ${task} was not found in cluster ${cluster}.`);
      return t;
    },
    [cluster, task],
    (t) => t.lastStatus !== t.desiredStatus,
  );
  const t = p.data;
  const service = t?.group?.startsWith('service:') ? t.group.slice('service:'.length) : undefined;
  return (
    <>
      <p class="crumbs">
        <Link to={{ page: 'clusters' }}>Clusters</Link> / <Link to={{ page: 'cluster', cluster }}>{cluster}</Link>
        {service ? (
          <>
            {' '}
            / <Link to={{ page: 'service', cluster, service }}>{service}</Link>
          </>
        ) : null}{' '}
        / task {task.slice(0, 12)}
      </p>
      <h1>Task {task}</h1>
      <ErrorText error={p.error} />
      {t ? (
        <>
          <div class="summary">
            <span>
              Status <StatusBadge value={t.lastStatus} /> (desired {t.desiredStatus})
            </span>
            <span>
              Health <StatusBadge value={t.healthStatus} />
            </span>
            <span>Task definition {taskDefinitionName(t.taskDefinitionArn)}</span>
            <span>Started {fmtTime(t.startedAt)}</span>
            {t.containerInstanceArn ? (
              <span>
                Instance <Link to={{ page: 'instance', cluster, instance: idOf(t.containerInstanceArn) }}>{idOf(t.containerInstanceArn).slice(0, 12)}</Link>
              </span>
            ) : null}
            <span>Zone {t.availabilityZone ?? '-'}</span>
            {caps.stopTask && t.desiredStatus !== 'STOPPED' ? (
              <span class="actions">
                <ActionButton
                  label="Stop task"
                  danger
                  title={`Stop task ${task.slice(0, 12)}?`}
                  confirmLabel="Stop task"
                  run={async () => {
                    await client.call('ecs', 'StopTask', { cluster, task, reason: 'Stopped from the web console' });
                    notify(`Task ${task.slice(0, 12)} is stopping.`);
                    p.refresh();
                  }}
                />
              </span>
            ) : null}
          </div>
          {t.stoppedReason ? (
            <p>
              Stopped: {t.stopCode ?? ''} {t.stoppedReason}
            </p>
          ) : null}
          <Section title="Containers">
            <Table
              columns={containerColumns}
              rows={t.containers ?? []}
              rowKey={(c) => c.name}
              actions={{
                header: 'Logs and exec',
                cell: (c) => {
                  const exec = execAvailability(t, c, caps.exec);
                  return (
                    <span class="actions">
                      <button type="button" aria-pressed={logsOf === c.name} onClick={() => setLogsOf(logsOf === c.name ? undefined : c.name)}>
                        {logsOf === c.name ? 'Hide logs' : `Logs of ${c.name}`}
                      </button>
                      {exec.offered ? (
                        <button
                          type="button"
                          disabled={!exec.ready || execIn === c.name}
                          title={exec.ready ? `An interactive shell in ${c.name} (ECS Exec)` : `Not available: ${exec.reason}`}
                          onClick={() => setExecIn(c.name)}
                        >
                          Terminal in {c.name}
                        </button>
                      ) : null}
                    </span>
                  );
                },
              }}
            />
            {t.enableExecuteCommand === false && caps.exec ? <p class="muted small">ECS Exec is not enabled for this task (run it or its service with enableExecuteCommand).</p> : null}
          </Section>
          {execIn ? (
            <Section title={`Terminal: ${execIn}`}>
              <ExecTerminal key={`${task}/${execIn}/${execGeneration}`} cluster={cluster} task={task} container={execIn} taskStopped={t.lastStatus === 'STOPPED' || t.desiredStatus === 'STOPPED'} onClose={() => (setExecIn(undefined), setExecGeneration((g) => g + 1))} />
            </Section>
          ) : null}
          {logsOf ? (
            <Section title={`Logs: ${logsOf}`}>
              <Logs cluster={cluster} task={task} container={logsOf} />
            </Section>
          ) : null}
        </>
      ) : null}
    </>
  );
}
