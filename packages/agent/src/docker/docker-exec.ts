import type Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import type { ExecLauncher, ExecProcess, ExecProcessSpec } from '../ecs-exec/exec-process';
import { LogDemuxer } from './log-demux';
import { DOCKER_TIMEOUTS } from './timeouts';

/** ECS Exec's processes with `docker exec`: a hijacked connection carries stdin and output, multiplexed unless it is a TTY. */
export class DockerExecLauncher implements ExecLauncher {
  constructor(private readonly docker: Docker) {}

  async start(spec: ExecProcessSpec): Promise<ExecProcess> {
    const exec = await this.docker.getContainer(spec.runtimeId).exec({
      Cmd: spec.command,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: spec.tty,
      // A terminal the shell in it can rely on; the size follows with resize.
      ...(spec.tty ? { Env: ['TERM=xterm'] } : {}),
    });
    const stream = (await exec.start({ hijack: true, stdin: true, Tty: spec.tty })) as Duplex;
    const resize = (cols: number, rows: number) => {
      if (!spec.tty || cols <= 0 || rows <= 0) return;
      exec.resize({ w: cols, h: rows }).catch(() => undefined);
    };
    if (spec.cols > 0 && spec.rows > 0) resize(spec.cols, spec.rows);
    // Output before the session listens is kept, not lost.
    const early: [stream: 'stdout' | 'stderr', data: Buffer][] = [];
    let listener: (stream: 'stdout' | 'stderr', data: Buffer) => void = (s, d) => early.push([s, d]);
    const demux = spec.tty ? undefined : new LogDemuxer();
    stream.on('data', (chunk: Buffer) => {
      if (!demux) return listener('stdout', chunk);
      for (const f of demux.push(chunk)) listener(f.stream, f.data);
    });
    const exited = new Promise<number>((resolve, reject) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        // The stream ends when the process does; its exit code is the exec's.
        const timer = setTimeout(() => reject(new Error('docker exec inspect timed out')), DOCKER_TIMEOUTS.inspect);
        exec.inspect().then(
          (info) => {
            clearTimeout(timer);
            resolve(typeof info.ExitCode === 'number' ? info.ExitCode : -1);
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err instanceof Error ? err : new Error(String(err)));
          },
        );
      };
      stream.on('end', finish);
      stream.on('close', finish);
      stream.on('error', finish);
    });
    return {
      onOutput: (fn) => {
        listener = fn;
        for (const [s, d] of early.splice(0)) fn(s, d);
      },
      exited,
      write: (data) => stream.write(data),
      onDrain: (fn) => stream.on('drain', fn),
      endInput: () => stream.end(),
      resize,
      pause: () => stream.pause(),
      resume: () => stream.resume(),
      detach: () => stream.destroy(),
    };
  }
}
