import WebSocket from 'ws';

interface Received {
  binary: boolean;
  data: Buffer;
}

/** A client of the exec stream protocol (docs/design/ecs-exec.md): what it received, and how the stream closed. */
export async function openExecStream(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false });
  const got: Received[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => got.push({ binary, data }));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const texts = () => got.filter((m) => !m.binary).map((m) => JSON.parse(m.data.toString()) as { type: string; code?: string; exitCode?: number });
  const stdout = () => Buffer.concat(got.filter((m) => m.binary && m.data[0] === 1).map((m) => m.data.subarray(1))).toString();
  return { ws, got, closed, texts, stdout, text: (v: unknown) => ws.send(JSON.stringify(v)), bytes: (s: string) => ws.send(Buffer.from(s), { binary: true }) };
}
