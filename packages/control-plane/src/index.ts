export { ControlPlane } from './control-plane';
export { parseConfig, type ControlPlaneConfig } from './config';
export { Store } from './store/store';
