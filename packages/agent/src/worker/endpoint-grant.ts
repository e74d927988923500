/**
 * What the task runner needs of the task endpoint (credentials and metadata,
 * task-endpoint/), in the runner's own terms: the endpoint implements it, so
 * the worker never imports the endpoint.
 */

/** What a container gets from the endpoint at create time. */
export interface EndpointGrant {
  environment: { name: string; value: string }[];
  labels: Record<string, string>;
  macAddress?: string;
}

export class TaskEndpointUnavailable extends Error {
  override readonly name = 'TaskEndpointUnavailable';
}
