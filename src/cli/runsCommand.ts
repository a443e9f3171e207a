export const runsUsage = 'mlops runs list|compare …';

/** `mlops runs`: list and compare experiment runs. */
export async function runsCommand(_argv: string[], _out: (text: string) => void): Promise<number> {
  throw new Error('run commands are not available yet');
}
