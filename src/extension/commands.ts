import * as vscode from 'vscode';

/**
 * One table of commands. Each entry names its id, its handler, and whether it starts a process
 * (such commands refuse, with a reason and "Manage Workspace Trust", in an untrusted workspace).
 */
export interface CommandSpec {
  id: string;
  run: (...args: never[]) => unknown;
  startsProcess?: boolean;
}

export function registerCommands(context: vscode.ExtensionContext, specs: CommandSpec[]): void {
  for (const spec of specs) {
    context.subscriptions.push(
      vscode.commands.registerCommand(spec.id, async (...args: unknown[]) => {
        if (spec.startsProcess && !vscode.workspace.isTrusted) {
          const choice = await vscode.window.showWarningMessage(
            'This workspace is not trusted, so MLOps Workbench starts no process here: viewing and validation only.',
            'Manage Workspace Trust',
          );
          if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
          return undefined;
        }
        return (spec.run as (...a: unknown[]) => unknown)(...args);
      }),
    );
  }
}
