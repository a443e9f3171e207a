export const imageUsage = 'mlops image build|push …';

/** `mlops image`: build and push container images through the Docker Engine API. */
export async function imageCommand(_argv: string[], _out: (text: string) => void): Promise<number> {
  throw new Error('image commands are not available yet');
}
