import * as vscode from 'vscode';

/** The `mlops.docker.*` settings, typed in one place. Credentials are never settings. */
export type RegistryKind = 'dockerhub' | 'ghcr' | 'ecr' | 'generic';

export interface RegistrySetting {
  /** Host (with port), e.g. "ghcr.io", "123456789012.dkr.ecr.eu-west-1.amazonaws.com", "127.0.0.1:5000". */
  address: string;
  kind: RegistryKind;
  /** Repository prefix images are pushed under ("my-org", "team/ml"). */
  namespace?: string;
  /** ECR: AWS profile and region (the standard credential chain is used when empty). */
  awsProfile?: string;
  awsRegion?: string;
}

export interface DockerSettings {
  host: string;
  context: string;
  buildContext: string;
  buildArgs: Record<string, string>;
  registries: RegistrySetting[];
  runNetwork: string;
}

export function dockerSettings(): DockerSettings {
  const config = vscode.workspace.getConfiguration('mlops.docker');
  return {
    host: config.get<string>('host', ''),
    context: config.get<string>('context', ''),
    buildContext: config.get<string>('buildContext', ''),
    buildArgs: config.get<Record<string, string>>('buildArgs', {}),
    registries: config.get<RegistrySetting[]>('registries', []).filter((r) => typeof r?.address === 'string' && r.address.length > 0),
    runNetwork: config.get<string>('runNetwork', 'none'),
  };
}

export async function saveRegistries(registries: RegistrySetting[]): Promise<void> {
  await vscode.workspace.getConfiguration('mlops.docker').update('registries', registries, vscode.ConfigurationTarget.Global);
}
