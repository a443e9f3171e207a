import * as vscode from 'vscode';
import { contributedSchemaContent, PERMISSIVE_SCHEMA, schemaForRedHatYaml, YAML_CONTRIBUTOR_SCHEME } from '../core/language/redHatYaml';
import { output } from './output';

export const RED_HAT_YAML_ID = 'redhat.vscode-yaml';

/** The part of Red Hat YAML's exported API we use (vscode-yaml `src/schema-extension-api.ts`). */
export interface YamlExtensionApi {
  registerContributor(
    schema: string,
    requestSchema: (resource: string) => string | undefined,
    requestSchemaContent: (uri: string) => Promise<string> | string,
    label?: string,
  ): boolean;
}

/** Answers Red Hat YAML's per-file schema question from the current settings (read on each call). */
export function contributeTo(api: YamlExtensionApi): boolean {
  return api.registerContributor(
    YAML_CONTRIBUTOR_SCHEME,
    (resource) => {
      let uri: vscode.Uri;
      try {
        uri = vscode.Uri.parse(resource);
      } catch {
        return undefined;
      }
      if (uri.scheme !== 'file') return undefined;
      const replace = vscode.workspace.getConfiguration('mlops.validation', uri).get<boolean>('replaceRedHatYamlSchema', true);
      const yamlSchemas = vscode.workspace.getConfiguration('yaml', uri).get<unknown>('schemas');
      const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath;
      return schemaForRedHatYaml(uri.fsPath, { replace, yamlSchemas, ...(root !== undefined ? { root } : {}) });
    },
    (uri) => contributedSchemaContent(uri) ?? PERMISSIVE_SCHEMA,
    'MLOps Workbench',
  );
}

function isYamlApi(value: unknown): value is YamlExtensionApi {
  return typeof (value as YamlExtensionApi | undefined)?.registerContributor === 'function';
}

/**
 * Registers with Red Hat YAML when it is installed now or later; nothing happens without it. While
 * it validates YAML (`yaml.validate`) and our schema replaces its own, `syntaxOwner` is told so: the
 * server then leaves YAML syntax errors of open YAML files to Red Hat instead of reporting them twice.
 */
export function registerWithRedHatYaml(context: vscode.ExtensionContext, syntaxOwner?: (redHat: boolean) => void): () => void {
  let registered = false;
  let contributing = false;
  const tell = (): void => {
    const redHat =
      contributing &&
      vscode.workspace.getConfiguration('yaml').get<boolean>('validate', true) !== false &&
      vscode.workspace.getConfiguration('mlops.validation').get<boolean>('replaceRedHatYamlSchema', true);
    syntaxOwner?.(redHat);
  };
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('yaml.validate') || event.affectsConfiguration('mlops.validation.replaceRedHatYamlSchema')) tell();
    }),
  );
  const tryRegister = async (): Promise<void> => {
    if (registered) return;
    const extension = vscode.extensions.getExtension(RED_HAT_YAML_ID);
    if (!extension) return;
    registered = true;
    try {
      const api: unknown = extension.isActive ? extension.exports : await extension.activate();
      if (!isYamlApi(api)) {
        output.info(`${RED_HAT_YAML_ID} exports no registerContributor: dvc.yaml structure may be reported twice`);
        return;
      }
      if (contributeTo(api)) {
        contributing = true;
        output.info(`dvc.yaml structure is checked by MLOps Workbench, not also by ${RED_HAT_YAML_ID}`);
        tell();
      }
    } catch (error) {
      output.info(`could not register with ${RED_HAT_YAML_ID}: ${String(error)}`);
    }
  };
  void tryRegister();
  context.subscriptions.push(vscode.extensions.onDidChange(() => void tryRegister()));
  return tell;
}
