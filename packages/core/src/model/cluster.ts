import type { Tag } from './task-definition';

export type ClusterStatus = 'ACTIVE' | 'PROVISIONING' | 'DEPROVISIONING' | 'FAILED' | 'INACTIVE';

export interface Cluster {
  name: string;
  status: ClusterStatus;
  tags: Tag[];
  settings: { name: string; value: string }[];
  createdAt: number;
}
