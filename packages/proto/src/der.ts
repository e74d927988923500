/**
 * The few DER encodings a PKCS#10 request needs (X.690): enough for the
 * agent to build its CSR with node:crypto alone, so the agent never loads an
 * ASN.1/X.509 library (@peculiar/x509 and its dependencies cost ~14 MiB of
 * resident memory on every host). Parsing stays on the control plane.
 */

/** Tag bytes used here (universal, plus the context-specific constructed [0]). */
export const DER_TAG = {
  integer: 0x02,
  bitString: 0x03,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
  context0: 0xa0,
} as const;

/** Tag, definite length (short form below 128, else long form), content. */
export function derTlv(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  let length: number[];
  if (n < 0x80) length = [n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    length = [0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from([tag, ...length]), content]);
}

export function derSequence(...items: Uint8Array[]): Buffer {
  return derTlv(DER_TAG.sequence, Buffer.concat(items));
}

/** A SET OF: DER orders the encoded elements (X.690 11.6). */
export function derSet(...items: Uint8Array[]): Buffer {
  return derTlv(DER_TAG.set, Buffer.concat([...items].map((i) => Buffer.from(i)).sort(Buffer.compare)));
}

/** A non-negative integer in the fewest bytes, with a leading zero when the top bit would read as a sign. */
export function derInteger(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`derInteger: ${value} is not a non-negative safe integer`);
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return derTlv(DER_TAG.integer, Buffer.from(bytes));
}

/** Dotted OID: the first two arcs share a byte, each arc in base-128 with continuation bits. */
export function derObjectIdentifier(oid: string): Buffer {
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`derObjectIdentifier: bad arc in ${oid}`);
    return Number(a);
  });
  if (arcs.length < 2 || arcs[0]! > 2 || (arcs[0]! < 2 && arcs[1]! > 39)) throw new RangeError(`derObjectIdentifier: ${oid} is not an OID`);
  const out: number[] = [];
  for (const arc of [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)]) {
    const group = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift((v & 0x7f) | 0x80);
    out.push(...group);
  }
  return derTlv(DER_TAG.objectIdentifier, Buffer.from(out));
}

export function derUtf8String(value: string): Buffer {
  return derTlv(DER_TAG.utf8String, Buffer.from(value, 'utf8'));
}

/** A BIT STRING of whole bytes (no unused bits). */
export function derBitString(bytes: Uint8Array): Buffer {
  return derTlv(DER_TAG.bitString, Buffer.concat([Buffer.from([0]), bytes]));
}

/** DER bytes as a PEM block (64-character lines, trailing newline). */
export function pemEncode(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
