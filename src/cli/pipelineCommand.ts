export const pipelineUsage = 'mlops pipeline list|status|run …';

/** `mlops pipeline`: list, status and run of dvc.yaml stages. */
export async function pipelineCommand(_argv: string[], _out: (text: string) => void): Promise<number> {
  throw new Error('pipeline commands are not available yet');
}
