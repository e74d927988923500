/**
 * The subset of a botocore service model (service-2.json) the protocol
 * layer reads: operations with their input/output/error shapes, and shapes
 * with the constraints AWS validates on the wire (required, min/max, enum).
 * Each service's model is extracted from botocore by
 * scripts/extract-service-model.py, so wire names, list and map encodings and
 * error codes are AWS's own rather than retyped.
 */
export interface ShapeRef {
  shape: string;
  /** REST protocols: where the member travels (absent: the JSON body). */
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode' | string;
  locationName?: string;
  idempotencyToken?: boolean;
  jsonvalue?: boolean;
  flattened?: boolean;
  xmlNamespace?: unknown;
}

export type ShapeType = 'structure' | 'list' | 'map' | 'string' | 'integer' | 'long' | 'double' | 'float' | 'boolean' | 'timestamp' | 'blob';

export interface Shape {
  type: ShapeType | string;
  required?: string[];
  min?: number;
  max?: number;
  enum?: string[];
  pattern?: string;
  flattened?: boolean;
  members?: Record<string, ShapeRef>;
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
  /** Error shapes: the wire code, HTTP status and whether the caller is at fault. */
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  exception?: boolean;
  timestampFormat?: string;
}

export interface OperationModel {
  name: string;
  /** REST protocols: the operation's route (`POST /schedules/{Name}`) and success status. */
  http?: { method: string; requestUri: string; responseCode?: number };
  input?: ShapeRef;
  output?: ShapeRef & { resultWrapper?: string };
  errors: string[];
}

export interface ServiceModel {
  metadata: {
    apiVersion: string;
    endpointPrefix: string;
    protocol: string;
    serviceId?: string;
    signingName?: string;
    xmlNamespace?: string;
  };
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
}

/** A shape by name; models are generated, so a dangling reference is a bug, not input. */
export function shapeOf(model: ServiceModel, name: string): Shape {
  const s = Object.prototype.hasOwnProperty.call(model.shapes, name) ? model.shapes[name] : undefined;
  if (!s) throw new Error(`service model ${model.metadata.serviceId ?? model.metadata.endpointPrefix}: no shape ${name}`);
  return s;
}

/** The operation of a request-supplied name, own keys only (`constructor` finds nothing). */
export function operationOf(model: ServiceModel, name: string): OperationModel | undefined {
  return Object.prototype.hasOwnProperty.call(model.operations, name) ? model.operations[name] : undefined;
}

/** The SigV4 service name requests to this service are scoped to. */
export function signingNameOf(model: ServiceModel): string {
  return model.metadata.signingName ?? model.metadata.endpointPrefix;
}
