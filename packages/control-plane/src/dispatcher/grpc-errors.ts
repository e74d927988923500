import { status, type ServiceError, Metadata } from '@grpc/grpc-js';

/** The one place where dispatcher failures become gRPC statuses. */
export function grpcError(code: status, message: string): Partial<ServiceError> {
  return { code, details: message, message, metadata: new Metadata() };
}

export { status };
