/** One item of an ECS `capacityProviderStrategy`. */
export interface CapacityProviderStrategyItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}
