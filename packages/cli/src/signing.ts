/**
 * Where authentication plugs in. The API does not check credentials yet, so
 * requests go unsigned. The SigV4 issue replaces this function: it resolves an
 * access key the way the AWS CLI does (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 * / AWS_SESSION_TOKEN, else AWS_SHARED_CREDENTIALS_FILE with AWS_PROFILE) and
 * returns a signer for service "ecs"; ApiClient already hands signers the
 * exact body bytes and lets them add headers.
 */
import { unsignedRequests, type RequestSigner } from './api-client';

export function requestSignerFrom(_env: Record<string, string | undefined>): RequestSigner {
  return unsignedRequests;
}
