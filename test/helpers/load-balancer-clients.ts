import * as http from 'node:http';
import * as net from 'node:net';
import { execFile } from 'node:child_process';

/** Clients of a load balancer under test (HTTP, keep-alive load, raw TCP, curl) and HAProxy's reload count. */

/** One request on a fresh connection (no keep-alive), as a load test client would. */
export function httpGet(ip: string, port: number, path: string, host?: string, timeoutMs = 10_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: ip, port, path, agent: false, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Load from `n` clients that each keep one connection alive across requests
 * (a browser, a pooled HTTP client): a load balancer that closes an idle
 * connection (a reload does) fails their next request with ECONNRESET.
 */
export function keepAliveClients(ip: string, port: number, n: number, path = '/id') {
  const agents = Array.from({ length: n }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const failures: string[] = [];
  /** When each failure was seen (epoch ms), index for index with `failures`. */
  const failedAt: number[] = [];
  const bodies: string[] = [];
  let ok = 0;
  let stop = false;
  const deadline = Date.now() + 240_000;
  const one = (agent: http.Agent) =>
    new Promise<void>((resolve) => {
      // Settles once, whatever ends the exchange: a response cut off after its
      // headers (a timeout's destroy, a reset) ends in 'close' without 'end',
      // and an unsettled promise would hang the test.
      let settled = false;
      const done = (failure?: string) => {
        if (settled) return;
        settled = true;
        if (failure !== undefined) {
          failures.push(failure);
          failedAt.push(Date.now());
        }
        resolve();
      };
      let responded = false;
      const req = http.get({ host: ip, port, path, agent }, (res) => {
        responded = true;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          if (res.statusCode !== 200) return done(`HTTP ${res.statusCode}`);
          ok++;
          if (bodies.length < 100_000) bodies.push(body.trim());
          done();
        });
        res.on('error', (e) => done(e.message));
        res.on('close', () => done(res.complete ? undefined : 'response cut off before its end'));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', (e) => done(e.message));
      req.on('close', () => {
        if (!responded) done('connection closed before a response');
      });
    });
  const loops = agents.map(async (a) => {
    while (!stop && Date.now() < deadline && ok + failures.length < 100_000) await one(a);
  });
  return {
    bodies,
    get ok() {
      return ok;
    },
    async stop() {
      stop = true;
      await Promise.all(loops);
      for (const a of agents) a.destroy();
      return { ok, failures, failedAt };
    },
  };
}

/** How often a HAProxy reloaded: its master CLI's `show proc`. */
export function masterReloads(masterSocket: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = net.connect(masterSocket, () => s.end('show proc\n'));
    s.on('data', (d) => (out += d.toString()));
    s.on('error', reject);
    s.on('close', () => {
      const master = out.split('\n').find((l) => /^\d+\s+master\s/.test(l));
      if (!master) return reject(new Error(`no master in show proc: ${out.slice(0, 200)}`));
      resolve(Number(master.trim().split(/\s+/)[2]));
    });
  });
}

/** Over a raw TCP connection (an NLB listener): a request, then what the target answers until it closes (the body). */
export function tcpExchange(ip: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const s = net.connect(port, ip, () => s.write('GET /id HTTP/1.0\r\n\r\n'));
    s.setTimeout(timeoutMs, () => s.destroy(new Error(`no answer through the NLB within ${timeoutMs} ms`)));
    s.on('data', (d) => (out += d.toString()));
    s.on('close', () => resolve(out.slice(out.indexOf('\r\n\r\n') + 4).trim()));
    s.on('error', reject);
  });
}

export function curl(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', ...args], { timeout: 20_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: unknown }).code) || 1 : 0, out: stdout, err: stderr }));
  });
}
