import type { Logger } from 'pino';
import { generateKeyAndCsr, grpc, identityOfCertificate } from '@stevedore/proto';
import { discoverPinnedCa } from './ca-discovery';
import { loadCredentials, pkiDir, saveCredentials, type AgentCredentials, type LoadedCredentials } from './credential-files';
import { DispatcherClient } from './dispatcher-client';

/**
 * The one place the agent channel's security is decided. There is no
 * plaintext channel: either the host already has its certificate (mutual
 * TLS), or it joins with a token and a pinned CA hash, or it refuses to run.
 */
export type ChannelSecurity = { kind: 'pinned-ca'; caPem: string } | ({ kind: 'mtls' } & AgentCredentials);

export function channelCredentials(security: ChannelSecurity): grpc.ChannelCredentials {
  if (security.kind === 'pinned-ca') return grpc.credentials.createSsl(Buffer.from(security.caPem));
  return grpc.credentials.createSsl(Buffer.from(security.caPem), Buffer.from(security.keyPem), Buffer.from(security.certPem));
}

/** Misconfiguration or refusal the agent cannot fix by retrying: it says why and exits. */
export class ChannelSetupError extends Error {
  override readonly name = 'ChannelSetupError';
}

export interface JoinSettings {
  controlPlane: string;
  /** Every replica (HOST:PORT): joining tries them in turn; default [controlPlane]. */
  controlPlanes?: string[];
  cluster: string;
  dataDir: string;
  join?: { token: string; caCertHash: string };
}

/**
 * Credentials to run with: the stored ones, or new ones from joining. A
 * stored certificate of another cluster, or an expired one, needs a new
 * token (joining again makes a new container instance).
 */
export async function establishCredentials(cfg: JoinSettings, log: Logger, sleep: (ms: number) => Promise<void>, now = Date.now): Promise<LoadedCredentials> {
  const stored = await loadCredentials(cfg.dataDir);
  if (stored) {
    const problem =
      stored.identity.cluster !== cfg.cluster
        ? `the credentials in ${pkiDir(cfg.dataDir)} are for cluster ${stored.identity.cluster}, not ${cfg.cluster}`
        : now() >= stored.notAfter
          ? `the certificate in ${pkiDir(cfg.dataDir)} expired at ${new Date(stored.notAfter).toISOString()}`
          : undefined;
    if (!problem) {
      if (cfg.join) log.info({ instance: stored.identity.instanceId }, 'already joined: the stored certificate is used and --token is ignored');
      return stored;
    }
    if (!cfg.join) throw new ChannelSetupError(`${problem}; join again with --token and --ca-cert-hash (a new container instance)`);
    log.warn({ reason: problem, was: stored.identity.instanceId }, 'joining again with the token: this host becomes a new container instance');
  }
  if (!cfg.join) {
    throw new ChannelSetupError(
      `no agent credentials in ${pkiDir(cfg.dataDir)} and no join token: create one with \`stevedore cluster join-token create --cluster ${cfg.cluster}\` and start the agent with --token TOKEN --ca-cert-hash sha256:HEX (or STEVEDORE_TOKEN / STEVEDORE_CA_CERT_HASH)`,
    );
  }
  const fresh = await join(cfg, cfg.join, log, sleep);
  await saveCredentials(cfg.dataDir, fresh);
  const loaded = await loadCredentials(cfg.dataDir);
  if (!loaded) throw new ChannelSetupError(`the credentials just saved in ${pkiDir(cfg.dataDir)} cannot be read back`);
  return loaded;
}

const RETRYABLE = new Set([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED, grpc.status.INTERNAL, grpc.status.RESOURCE_EXHAUSTED]);

async function join(cfg: JoinSettings, j: { token: string; caCertHash: string }, log: Logger, sleep: (ms: number) => Promise<void>): Promise<AgentCredentials> {
  const tokenId = j.token.slice(0, 13);
  const endpoints = cfg.controlPlanes?.length ? cfg.controlPlanes : [cfg.controlPlane];
  for (let attempt = 1, delay = 500; ; attempt++, delay = Math.min(delay * 2, 30_000)) {
    // Replicas in turn: any of them can let this host join (one CA, one store).
    const controlPlane = endpoints[(attempt - 1) % endpoints.length]!;
    let caPem: string;
    try {
      caPem = await discoverPinnedCa(controlPlane, j.caCertHash);
    } catch (err) {
      if ((err as Error).name === 'PinMismatchError') throw new ChannelSetupError((err as Error).message);
      log.warn({ controlPlane, err: (err as Error).message, attempt, retryInMs: delay }, 'control plane not reachable for joining yet');
      await sleep(delay);
      continue;
    }
    const { keyPem, csrPem } = await generateKeyAndCsr();
    const client = new DispatcherClient(controlPlane, channelCredentials({ kind: 'pinned-ca', caPem }));
    try {
      const res = await client.join({ token: j.token, cluster: cfg.cluster, csr_pem: csrPem });
      const id = identityOfCertificate(res.certificate_pem);
      if (!id || id.instanceId !== res.instance_id || id.cluster !== cfg.cluster) throw new ChannelSetupError('the control plane returned a certificate for another identity');
      log.info({ instance: res.instance_id, cluster: cfg.cluster, tokenId, caCertHash: j.caCertHash }, 'joined the cluster; the token is no longer needed');
      return { keyPem, certPem: res.certificate_pem, caPem: res.ca_pem };
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === undefined || !RETRYABLE.has(code)) {
        const details = (err as { details?: string }).details ?? (err as Error).message;
        // The token's id is not secret (it is listed); its secret half never reaches a log.
        throw new ChannelSetupError(`the control plane refused to let this host join with token ${tokenId}…: ${details}`);
      }
      log.warn({ err: (err as { details?: string }).details, attempt, retryInMs: delay }, 'join failed; retrying');
      await sleep(delay);
    } finally {
      client.close();
    }
  }
}
