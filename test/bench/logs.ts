/**
 * `npm run bench:logs`: what the log store costs (docs/design/logs.md).
 * - ingest: awslogs-like batches (1,000 events of ~120-byte lines, one
 *   transaction each, as one PutLogEvents of the agent) into a file-backed
 *   store: events/s and MB of messages/s;
 * - disk: bytes of the database (checkpointed, so the WAL is folded in) per
 *   byte of message stored, measured over the ingest above: the cost per GB;
 * - read: FilterLogEvents of a whole group with a term matching 1% of events,
 *   and GetLogEvents pages of 10,000 (rows scanned per second);
 * - API: PutLogEvents through the signed HTTP API with the AWS SDK
 *   (10 events per call, 8 callers): calls/s;
 * - prune: retention deleting everything (events/s).
 * Prints figures; asserts nothing.
 *
 *   npm run bench:logs
 *   BENCH_EVENTS=500000 npm run bench:logs
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Store } from '@stevedore/control-plane';
import { storeEvents } from '@stevedore/control-plane/dist/logs/log-ingest';
import { filterLogEvents, getLogEvents } from '@stevedore/control-plane/dist/api/actions/cloudwatch-logs';
import { LogPruner, DEFAULT_LOG_PRUNER_OPTIONS } from '@stevedore/control-plane/dist/log-retention/log-pruner';
import { startTestControlPlane } from '@stevedore/control-plane/dist/testing/harness';

const EVENTS = Number(process.env['BENCH_EVENTS'] ?? 200_000);
const BATCH = 1000;
const STREAMS = 10;

function line(i: number): string {
  // A plausible application log line, ~120 bytes, 1% carrying ERROR.
  const level = i % 100 === 0 ? 'ERROR' : 'INFO';
  return `2026-12-02T16:00:00.${String(i % 1000).padStart(3, '0')}Z ${level} [worker-${i % 8}] request id=${(i * 7919).toString(16).padStart(8, '0')} path=/api/v1/items/${i % 5000} status=200 ms=${i % 97}`;
}

function fileBytes(dir: string): number {
  return fs.readdirSync(dir).filter((f) => f.startsWith('stevedore.db')).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-bench-logs-'));
  const clock = { now: () => Date.now() };
  const store = Store.open(path.join(dir, 'stevedore.db'), clock, { region: 'us-east-1', account: '123456789012' });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const base = fileBytes(dir);
  store.tx(() => store.logStore.createGroup('/bench', clock.now()));
  const g = store.logStore.getGroup('/bench')!;
  for (let s = 0; s < STREAMS; s++) store.tx(() => store.logStore.createStream(g.id, `app/web/task-${s}`, clock.now()));
  const streams = Array.from({ length: STREAMS }, (_, s) => store.logStore.getStream(g.id, `app/web/task-${s}`)!);

  let messageBytes = 0;
  const t0 = process.hrtime.bigint();
  const start = Date.now() - 60_000;
  for (let i = 0; i < EVENTS; i += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, EVENTS - i) }, (_, k) => ({ timestamp: start + Math.floor((i + k) / 10), message: line(i + k) }));
    for (const e of events) messageBytes += Buffer.byteLength(e.message);
    store.tx(() => storeEvents(store, g, streams[(i / BATCH) % STREAMS]!, events, clock.now()));
  }
  const ingestS = Number(process.hrtime.bigint() - t0) / 1e9;
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  const disk = fileBytes(dir) - base;

  const ctx = { store, clock, arn: { region: 'us-east-1', account: '123456789012' }, log: pino({ level: 'silent' }) } as never;
  const t1 = process.hrtime.bigint();
  let matched = 0;
  let scans = 0;
  let token: string | undefined;
  do {
    const r = filterLogEvents(ctx, { logGroupName: '/bench', filterPattern: 'ERROR', ...(token ? { nextToken: token } : {}) }) as { events: unknown[]; nextToken?: string };
    matched += r.events.length;
    scans++;
    token = r.nextToken;
  } while (token);
  const filterS = Number(process.hrtime.bigint() - t1) / 1e9;
  const t2 = process.hrtime.bigint();
  let read = 0;
  let fwd: string | undefined;
  for (;;) {
    const r = getLogEvents(ctx, { logGroupName: '/bench', logStreamName: 'app/web/task-0', ...(fwd ? { nextToken: fwd } : { startFromHead: true }) }) as { events: unknown[]; nextForwardToken: string };
    if (r.events.length === 0) break;
    read += r.events.length;
    fwd = r.nextForwardToken;
  }
  const getS = Number(process.hrtime.bigint() - t2) / 1e9;

  store.tx(() => store.logStore.setRetention(g.id, 1));
  const pruner = new LogPruner(store, pino({ level: 'silent' }), { ...DEFAULT_LOG_PRUNER_OPTIONS, dayMs: 1 });
  const t3 = process.hrtime.bigint();
  const pruned = await pruner.pass();
  const pruneS = Number(process.hrtime.bigint() - t3) / 1e9;
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });

  // The signed API, as an application calling PutLogEvents.
  // The per-key rate limit raised out of the way: this measures the server, not the throttle.
  const h = await startTestControlPlane({ auth: { apiRateLimit: { steady: 1_000_000, burst: 1_000_000 } } });
  const client = new CloudWatchLogsClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: h.admin!, maxAttempts: 1 });
  await client.send(new CreateLogGroupCommand({ logGroupName: '/api' }));
  const CALLERS = 8;
  for (let w = 0; w < CALLERS; w++) await client.send(new CreateLogStreamCommand({ logGroupName: '/api', logStreamName: `s${w}` }));
  const apiMs = 4000;
  let calls = 0;
  const until = Date.now() + apiMs;
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, w) => {
      while (Date.now() < until) {
        await client.send(new PutLogEventsCommand({ logGroupName: '/api', logStreamName: `s${w}`, logEvents: Array.from({ length: 10 }, (_, k) => ({ timestamp: Date.now(), message: line(k) })) }));
        calls++;
      }
    }),
  );
  client.destroy();
  await h.cp.stop();

  const mb = messageBytes / 1e6;
  console.log(`log store benchmark: ${EVENTS} events of ${(messageBytes / EVENTS).toFixed(0)} bytes on average (${mb.toFixed(1)} MB of messages), ${STREAMS} streams, batches of ${BATCH}`);
  console.log(`ingest:            ${(EVENTS / ingestS).toFixed(0)} events/s, ${(mb / ingestS).toFixed(1)} MB/s of messages`);
  console.log(`disk:              ${(disk / 1e6).toFixed(1)} MB for ${mb.toFixed(1)} MB of messages: ${(disk / messageBytes).toFixed(2)} bytes on disk per byte of log (${((disk / messageBytes) * 1).toFixed(2)} GB per GB)`);
  console.log(`FilterLogEvents:   ${matched} matches in ${scans} calls, ${(EVENTS / filterS).toFixed(0)} events scanned/s`);
  console.log(`GetLogEvents:      ${read} events read forward, ${(read / getS).toFixed(0)} events/s`);
  console.log(`retention prune:   ${pruned} events, ${(pruned / pruneS).toFixed(0)} events/s`);
  console.log(`PutLogEvents API:  ${(calls / (apiMs / 1000)).toFixed(0)} calls/s (10 events each, ${CALLERS} callers, SigV4, AWS SDK)`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
