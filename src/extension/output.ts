import * as vscode from 'vscode';

/** The "MLOps Workbench" output channel, created on first write so activation stays cheap. */
class LazyOutputChannel {
  private channel: vscode.LogOutputChannel | undefined;

  get(): vscode.LogOutputChannel {
    this.channel ??= vscode.window.createOutputChannel('MLOps Workbench', { log: true });
    return this.channel;
  }

  info(message: string): void {
    this.get().info(message);
  }

  error(message: string): void {
    this.get().error(message);
  }

  show(): void {
    this.get().show(true);
  }

  dispose(): void {
    this.channel?.dispose();
    this.channel = undefined;
  }
}

export const output = new LazyOutputChannel();

/**
 * Shows a one-sentence error with "Show Output", and puts the raw detail in the output channel.
 * Never shows a stack trace in the notification.
 */
export async function showError(sentence: string, detail?: unknown): Promise<void> {
  if (detail !== undefined) output.error(`${sentence}\n${detail instanceof Error ? (detail.stack ?? detail.message) : String(detail)}`);
  const choice = await vscode.window.showErrorMessage(sentence, 'Show Output');
  if (choice === 'Show Output') output.show();
}
