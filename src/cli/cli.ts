import { UsageError } from './args';
import { imageCommand, imageUsage } from './imageCommand';
import { pipelineCommand, pipelineUsage } from './pipelineCommand';
import { runsCommand, runsUsage } from './runsCommand';
import { validateCommand, validateUsage } from './validateCommand';

/**
 * The `mlops` command: the editor's checks and actions for terminals and CI.
 * Exit codes: 0 success, 1 findings or failure, 2 usage.
 */
type Handler = (argv: string[], out: (text: string) => void) => Promise<number>;

const commands: Record<string, { usage: string; run: Handler }> = {
  validate: { usage: validateUsage, run: validateCommand },
  pipeline: { usage: pipelineUsage, run: pipelineCommand },
  runs: { usage: runsUsage, run: runsCommand },
  image: { usage: imageUsage, run: imageCommand },
};

function usage(): string {
  return ['usage:', ...Object.values(commands).map((c) => `  ${c.usage}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${process.env.MLOPS_VERSION ?? '0.1.0'}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`mlops: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  try {
    return await command.run(rest, (text) => {
      if (text.length > 0) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    });
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`mlops ${name}: ${error.message}\nusage: ${command.usage}\n`);
      return 2;
    }
    process.stderr.write(`mlops ${name}: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`mlops: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
