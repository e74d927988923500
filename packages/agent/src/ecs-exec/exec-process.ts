/**
 * A process started in a running container for an ECS Exec session (the
 * agent's `docker exec`), behind an interface so the session logic is
 * tested without Docker and docker/ stays a thin edge.
 */
export interface ExecProcessSpec {
  /** The container's Docker id. */
  runtimeId: string;
  command: string[];
  tty: boolean;
  cols: number;
  rows: number;
}

export interface ExecProcess {
  /** Output as it comes: with a TTY everything is stdout. */
  onOutput(fn: (stream: 'stdout' | 'stderr', data: Buffer) => void): void;
  /** Resolves with the exit code once the process ended (and its output was delivered). */
  exited: Promise<number>;
  /** Returns false when the process's stdin is not drained: the caller stops reading its source. */
  write(data: Buffer): boolean;
  onDrain(fn: () => void): void;
  /** Closes stdin (EOF). */
  endInput(): void;
  resize(cols: number, rows: number): void;
  /** Stops reading output (backpressure), and starts again. */
  pause(): void;
  resume(): void;
  /** Drops the connection: with a TTY the process gets SIGHUP, as a closed terminal gives it. */
  detach(): void;
}

export interface ExecLauncher {
  start(spec: ExecProcessSpec): Promise<ExecProcess>;
}
