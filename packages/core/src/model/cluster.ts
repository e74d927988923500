import type { Tag } from './task-definition';

export type ClusterStatus = 'ACTIVE' | 'PROVISIONING' | 'DEPROVISIONING' | 'FAILED' | 'INACTIVE';

export interface Cluster {
  name: string;
  status: ClusterStatus;
  tags: Tag[];
  settings: { name: string; value: string }[];
  /**
   * ECS ClusterConfiguration (executeCommandConfiguration,
   * managedStorageConfiguration) as UpdateCluster/CreateCluster set it:
   * checked against ECS's shape, stored and echoed.
   */
  configuration?: ClusterConfiguration;
  /** ECS serviceConnectDefaults: the namespace is stored and echoed (Stevedore has no Service Connect). */
  serviceConnectDefaults?: { namespace: string };
  createdAt: number;
}

export interface ClusterConfiguration {
  executeCommandConfiguration?: {
    kmsKeyId?: string;
    logging?: 'NONE' | 'DEFAULT' | 'OVERRIDE';
    logConfiguration?: { cloudWatchLogGroupName?: string; cloudWatchEncryptionEnabled?: boolean; s3BucketName?: string; s3EncryptionEnabled?: boolean; s3KeyPrefix?: string };
  };
  managedStorageConfiguration?: { kmsKeyId?: string; fargateEphemeralStorageKmsKeyId?: string };
}
