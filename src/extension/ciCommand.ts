import * as vscode from 'vscode';
import { CI_WORKFLOW_PATH, ciWorkflowFor, writeFileAtomically } from '../core/ci/ciWorkflow';
import { output } from './output';

/**
 * "MLOps: Add CI Workflow": writes .github/workflows/mlops.yml in a workspace folder, asking (modal)
 * before replacing one, and opens it. Allowed in an untrusted workspace: it writes a file the user
 * then reads, and starts no process.
 */
export async function addCiWorkflow(extensionVersion: string, folderArg?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const folder =
    (folderArg instanceof vscode.Uri ? vscode.workspace.getWorkspaceFolder(folderArg) : undefined) ??
    (folders.length === 1
      ? folders[0]
      : await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Add the CI workflow to which folder?' }));
  if (!folder) {
    if (folders.length === 0)
      await vscode.window.showInformationMessage('Open a folder first: the CI workflow belongs at the root of a repository.');
    return undefined;
  }
  if (folder.uri.scheme !== 'file') {
    await vscode.window.showErrorMessage(`The CI workflow can only be written to a folder on disk, not ${folder.uri.toString()}.`);
    return undefined;
  }
  const { text, pipelines } = await ciWorkflowFor(folder.uri.fsPath, extensionVersion);
  if (pipelines.length === 0) {
    await vscode.window.showWarningMessage(
      `No dvc.yaml or MLproject in ${folder.name}: the CI workflow would have nothing to check, so none was written.`,
    );
    return undefined;
  }
  const target = vscode.Uri.joinPath(folder.uri, ...CI_WORKFLOW_PATH.split('/'));
  let result = await writeFileAtomically(target.fsPath, text, false);
  if ('exists' in result) {
    const replace = await vscode.window.showWarningMessage(
      `${CI_WORKFLOW_PATH} already exists in ${folder.name}. Replace it?`,
      { modal: true, detail: 'The current file is replaced as a whole; Git keeps its history.' },
      'Replace',
    );
    if (replace !== 'Replace') return undefined;
    result = await writeFileAtomically(target.fsPath, text, true);
  }
  if ('error' in result) {
    await vscode.window.showErrorMessage(result.error);
    return undefined;
  }
  output.info(`wrote ${target.fsPath} for ${pipelines.join(', ')}`);
  await vscode.window.showTextDocument(target);
  return target;
}
