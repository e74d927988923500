import { docker } from './docker';

/**
 * GET from inside a container, to the task endpoint 169.254.170.2 (busybox
 * nc: the image has no HTTP client that works statically). `path` is
 * expanded by the container's shell, so "$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
 * or "${ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}" is the
 * container's own variable. Tests reach containers only this way (no
 * traffic to container addresses).
 */
export async function getInside(containerId: string, path: string): Promise<{ status: number; body: any }> {
  const script = `printf 'GET %s HTTP/1.0\\r\\nHost: 169.254.170.2\\r\\n\\r\\n' "${path}" | nc -w 15 169.254.170.2 80`;
  const t0 = Date.now();
  const r = await docker(['exec', containerId, 'sh', '-c', script], 20_000);
  const text = r.stdout;
  if (!text) return { status: 0, body: `${r.stderr} after ${Date.now() - t0} ms` };
  if (Date.now() - t0 > 2000) console.log(`slow: ${Date.now() - t0} ms for ${path}`);
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  let parsed: unknown = body;
  try {
    parsed = JSON.parse(body);
  } catch {
    // Left as text.
  }
  return { status, body: parsed };
}

/** The path part of the container's own TMDS v4 URI, for getInside. */
export const METADATA_V4 = '${ECS_CONTAINER_METADATA_URI_V4#http://169.254.170.2}';
