import { sign, type KeyObject } from 'node:crypto';
import { DER_TAG, derBitString, derInteger, derObjectIdentifier, derSequence, derSet, derTlv, derUtf8String, pemEncode } from './der';

/** id-at-commonName (X.520). */
const OID_COMMON_NAME = '2.5.4.3';
/** ecdsa-with-SHA256 (RFC 5758): no parameters. */
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/**
 * A PKCS#10 certificate request (RFC 2986) for an EC key: subject `CN=<commonName>`,
 * the key's SubjectPublicKeyInfo as node:crypto exports it, no attributes,
 * signed with ecdsa-with-SHA256 by the private key (proof of possession).
 * The control plane decides the certificate's real names: the subject here is
 * informational only.
 */
export function createCertificateRequest(commonName: string, keys: { publicKey: KeyObject; privateKey: KeyObject }): string {
  if (keys.privateKey.asymmetricKeyType !== 'ec') throw new TypeError('createCertificateRequest: only EC keys are supported');
  const subject = derSequence(derSet(derSequence(derObjectIdentifier(OID_COMMON_NAME), derUtf8String(commonName))));
  const spki = keys.publicKey.export({ type: 'spki', format: 'der' });
  const info = derSequence(derInteger(0), subject, spki, derTlv(DER_TAG.context0, Buffer.alloc(0)));
  // node:crypto's ECDSA signature is DER Ecdsa-Sig-Value by default, which is what X.509 carries.
  const signature = sign('sha256', info, keys.privateKey);
  const request = derSequence(info, derSequence(derObjectIdentifier(OID_ECDSA_WITH_SHA256)), derBitString(signature));
  return pemEncode(request, 'CERTIFICATE REQUEST');
}
