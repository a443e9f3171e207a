import type { Services } from '../services';

/** The compare panel: commands, serializer. */
export function registerCompare(_services: Services): void {
  // The compare panel registers its command and serializer here.
}
