import { ecrAuthorizationToken } from '../../core/docker/ecrAuth';
import type { RegistryCredentials } from '../../core/docker/registryCredentials';
import type { RegistrySetting } from './dockerSettings';

/** A fresh ECR token for a registry from the settings (tokens last 12 hours; asked for per push). */
export async function ecrCredentials(registry: RegistrySetting): Promise<RegistryCredentials> {
  const token = await ecrAuthorizationToken({ registry: registry.address, region: registry.awsRegion, profile: registry.awsProfile });
  return {
    username: token.username,
    password: token.password,
    from: `AWS ECR GetAuthorizationToken${registry.awsProfile ? ` (profile ${registry.awsProfile})` : ''}`,
  };
}
