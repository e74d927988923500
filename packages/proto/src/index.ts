import * as grpc from '@grpc/grpc-js';
import * as path from 'node:path';
import { Root, type Type } from 'protobufjs';

/** Defined by the release build (scripts/package): its bundles carry the .proto files in a proto/ folder beside them. */
declare const STEVEDORE_BUNDLE: boolean | undefined;

/** Path of the proto/ folder: beside a release bundle, else the repository's (two levels above dist/). */
export const PROTO_ROOT = typeof STEVEDORE_BUNDLE !== 'undefined' ? path.join(__dirname, 'proto') : path.resolve(__dirname, '..', '..', '..', 'proto');

export const DISPATCHER_PROTO = 'stevedore/agent/v1/dispatcher.proto';

export const METADATA_INSTANCE_ID = 'stevedore-instance-id';
export const METADATA_SESSION_ID = 'stevedore-session-id';

let cached: grpc.ServiceDefinition | undefined;
let clientCtor: grpc.ServiceClientConstructor | undefined;

/** How messages become objects (and the generated types in generated/ are made with the same): scripts/generate-proto-types.mjs. */
const TO_OBJECT = { longs: Number, enums: String, defaults: true, oneofs: true } as const;

/**
 * The Dispatcher service as grpc-js takes it, built from the .proto files
 * with protobufjs: what @grpc/proto-loader's loadSync + loadPackageDefinition
 * give for a service (same paths, same (de)serializers and options; the
 * proto package's tests compare the two), without proto-loader's descriptor
 * objects for every message type, which nothing here reads and every agent
 * kept in memory (~1 MiB).
 */
function loadService(): grpc.ServiceDefinition {
  if (!cached) {
    const root = new Root();
    root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
    root.loadSync(DISPATCHER_PROTO, { keepCase: true });
    root.resolveAll();
    const service = root.lookupService('stevedore.agent.v1.Dispatcher');
    const def: Record<string, grpc.MethodDefinition<object, object>> = {};
    for (const m of service.methodsArray) {
      const req = m.resolvedRequestType!;
      const res = m.resolvedResponseType!;
      def[m.name] = {
        path: `/${service.fullName.slice(1)}/${m.name}`,
        requestStream: !!m.requestStream,
        responseStream: !!m.responseStream,
        requestSerialize: serializer(req),
        requestDeserialize: deserializer(req),
        responseSerialize: serializer(res),
        responseDeserialize: deserializer(res),
        // grpc-js also names a client method by this (Session -> session), as proto-loader's camelCase does.
        originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
      };
    }
    cached = def;
  }
  return cached;
}

function serializer(type: Type): (value: object) => Buffer {
  return (value) => {
    if (Array.isArray(value)) throw new Error(`Failed to serialize message: expected object with ${type.name} structure, got array instead`);
    return type.encode(type.fromObject(value)).finish() as Buffer;
  };
}

function deserializer(type: Type): (bytes: Buffer) => object {
  return (bytes) => type.toObject(type.decode(bytes), TO_OBJECT);
}

export function dispatcherService(): grpc.ServiceDefinition {
  return loadService();
}

export function dispatcherClientCtor(): grpc.ServiceClientConstructor {
  clientCtor ??= grpc.makeGenericClientConstructor(loadService(), 'Dispatcher');
  return clientCtor;
}

export { grpc };
export * from './wire-types';
export * from './task-convert';
export * from './exec-wire-types';
export * from './load-balancer-convert';
export * from './channel-pki';
export * from './reconnect';
