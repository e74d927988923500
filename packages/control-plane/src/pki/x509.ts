// tsyringe, under @peculiar/x509, needs the Reflect metadata API before it loads.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

/**
 * @peculiar/x509 bound to Node's WebCrypto: the cluster CA issues and parses
 * certificates with it. Only the control plane loads it; the agent builds its
 * CSR with node:crypto (@stevedore/proto's certificate-request.ts).
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
export { x509 };
