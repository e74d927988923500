import Docker from 'dockerode';

/** `--docker-host`: unix:///path, a bare socket path, or tcp://host:port (plain HTTP, as DOCKER_HOST). */
export function dockerFromHost(host: string): Docker {
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  if (host.startsWith('/')) return new Docker({ socketPath: host });
  const m = /^(?:tcp|http):\/\/([^:/]+)(?::(\d+))?\/?$/.exec(host);
  if (m) return new Docker({ host: m[1]!, port: Number(m[2] ?? 2375), protocol: 'http' });
  throw new Error(`unsupported --docker-host ${JSON.stringify(host)}: use unix:///path/to/docker.sock or tcp://host:port`);
}

/** Docker's zero time ("0001-01-01T00:00:00Z") means "never". */
export function dockerTime(value: string | undefined): number | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
