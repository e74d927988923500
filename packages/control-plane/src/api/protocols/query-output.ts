import { shapeOf, type OperationModel, type ServiceModel, type Shape, type ShapeRef } from './service-model';

/**
 * AWS Query responses: XML in the service's namespace,
 * `<OpResponse><OpResult>...</OpResult><ResponseMetadata><RequestId>`,
 * members in the order of the output shape, lists as `<member>` items (or
 * repeated elements when flattened), maps as `<entry><key/><value/></entry>`,
 * timestamps in ISO 8601. Errors are `<ErrorResponse><Error><Type>Sender`.
 * Written by hand over the shape, not by a generic object-to-XML builder:
 * the shape, not the value, decides member order and list wrapping.
 */

/** XML 1.0 cannot carry most control characters even escaped: they become U+FFFD. */
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(s: string): string {
  return s
    .replace(INVALID_XML, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\r/g, '&#13;');
}

function element(name: string, inner: string): string {
  return inner === '' ? `<${name}/>` : `<${name}>${inner}</${name}>`;
}

export function encodeQueryResponse(model: ServiceModel, op: OperationModel, result: unknown, requestId: string): string {
  const ns = model.metadata.xmlNamespace ?? '';
  let body = '';
  if (op.output) {
    const inner = encodeValue(model, shapeOf(model, op.output.shape), op.output, result ?? {});
    body = element(op.output.resultWrapper ?? `${op.name}Result`, inner);
  }
  return `<${op.name}Response xmlns="${escapeXml(ns)}">${body}<ResponseMetadata><RequestId>${escapeXml(requestId)}</RequestId></ResponseMetadata></${op.name}Response>`;
}

export function encodeQueryError(xmlNamespace: string | undefined, code: string, message: string, senderFault: boolean, requestId: string): string {
  const ns = xmlNamespace ? ` xmlns="${escapeXml(xmlNamespace)}"` : '';
  return (
    `<ErrorResponse${ns}><Error><Type>${senderFault ? 'Sender' : 'Receiver'}</Type><Code>${escapeXml(code)}</Code>` +
    `<Message>${escapeXml(message)}</Message></Error><RequestId>${escapeXml(requestId)}</RequestId></ErrorResponse>`
  );
}

function encodeValue(model: ServiceModel, shape: Shape, ref: ShapeRef, value: unknown): string {
  switch (shape.type) {
    case 'structure': {
      if (value === null || typeof value !== 'object') return '';
      const obj = value as Record<string, unknown>;
      let out = '';
      for (const [member, mref] of Object.entries(shape.members ?? {})) {
        if (!Object.prototype.hasOwnProperty.call(obj, member)) continue;
        const v = obj[member];
        if (v === undefined || v === null) continue;
        const mshape = shapeOf(model, mref.shape);
        const name = mref.locationName ?? member;
        if (mshape.type === 'list' && (mshape.flattened ?? mref.flattened)) {
          for (const item of Array.isArray(v) ? v : []) out += element(mshape.member?.locationName ?? name, encodeValue(model, shapeOf(model, mshape.member!.shape), mshape.member!, item));
        } else {
          out += element(name, encodeValue(model, mshape, mref, v));
        }
      }
      return out;
    }
    case 'list': {
      const itemName = shape.member?.locationName ?? 'member';
      const itemShape = shapeOf(model, shape.member!.shape);
      return (Array.isArray(value) ? value : []).map((item) => element(itemName, encodeValue(model, itemShape, shape.member!, item))).join('');
    }
    case 'map': {
      const entries = value instanceof Map ? [...value.entries()] : value && typeof value === 'object' ? Object.entries(value) : [];
      const keyName = shape.key?.locationName ?? 'key';
      const valueName = shape.value?.locationName ?? 'value';
      const valueShape = shapeOf(model, shape.value!.shape);
      return entries
        .map(([k, v]) => `<entry>${element(keyName, escapeXml(String(k)))}${element(valueName, encodeValue(model, valueShape, shape.value!, v))}</entry>`)
        .join('');
    }
    case 'timestamp':
      return escapeXml(isoTimestamp(value));
    case 'boolean':
      return value ? 'true' : 'false';
    case 'integer':
    case 'long':
    case 'double':
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? String(value) : escapeXml(String(value));
    case 'blob':
      return Buffer.isBuffer(value) ? value.toString('base64') : escapeXml(String(value));
    default:
      return escapeXml(String(value));
  }
}

/** Dates, epoch milliseconds and ISO strings alike, as ISO 8601 UTC. */
export function isoTimestamp(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return new Date(v).toISOString();
  return String(v);
}
