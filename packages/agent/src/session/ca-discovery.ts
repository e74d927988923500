import { X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { caCertHash, withNewline } from '@stevedore/proto';

export class PinMismatchError extends Error {
  override readonly name = 'PinMismatchError';
}

export function splitHostPort(target: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
  if (!m) throw new Error(`expected HOST:PORT, got ${target}`);
  return { host: m[1]!, port: Number(m[2]) };
}

function pemOf(raw: Buffer): string {
  return withNewline(`-----BEGIN CERTIFICATE-----\n${raw.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----`);
}

/** The certificates the server sent, leaf first, as PEM. */
function peerChain(socket: tls.TLSSocket): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    out.push(pemOf(c.raw));
  }
  return out;
}

/**
 * First contact, as `kubeadm join --discovery-token-ca-cert-hash` does it:
 * one TLS handshake that trusts nothing, only to read the certificate chain,
 * and the CA in it whose public key hashes to the pin. Nothing is sent over
 * this connection; the join itself then runs over a channel that trusts
 * exactly this CA, so a server that merely replays the public CA certificate
 * cannot complete that handshake. Also checks that the server certificate
 * names the host dialled, to say so clearly rather than fail later.
 */
export function discoverPinnedCa(target: string, pin: string, timeoutMs = 10_000): Promise<string> {
  const { host, port } = splitHostPort(target);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], ...(isIpLike(host) ? {} : { servername: host }) });
    const timer = setTimeout(() => socket.destroy(new Error(`no TLS handshake with ${target} within ${timeoutMs} ms`)), timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const chain = peerChain(socket);
      socket.destroy();
      const ca = chain.find((pem) => caCertHash(pem) === pin);
      if (!ca) {
        const offered = chain.map((pem) => caCertHash(pem)).slice(1);
        return reject(new PinMismatchError(`the control plane at ${target} offers no CA with hash ${pin} (it offers ${offered.join(', ') || 'no CA certificate'}): wrong --ca-cert-hash, or not the control plane you meant; refusing to join`));
      }
      const leaf = chain[0] ? new X509Certificate(chain[0]) : undefined;
      if (!leaf || !leaf.checkIssued(new X509Certificate(ca)) || !leaf.verify(new X509Certificate(ca).publicKey)) {
        return reject(new PinMismatchError(`the server certificate of ${target} is not issued by the pinned CA; refusing to join`));
      }
      const nameOk = isIpLike(host) ? leaf.checkIP(host) !== undefined : leaf.checkHost(host) !== undefined;
      if (!nameOk) return reject(new PinMismatchError(`the control plane certificate does not name ${host} (it names ${leaf.subjectAltName}); dial one of those, or add --agent-cert-san ${host} on the control plane`));
      resolve(ca);
    });
  });
}

function isIpLike(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(':');
}
