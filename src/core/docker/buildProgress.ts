/**
 * Reads the Engine's build stream (JSON messages: `stream`, `status`/`progressDetail`, `aux`,
 * `error`/`errorDetail`) into what a person follows: step N of M, the log, the image id, the error.
 */
export interface BuildMessage {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { message?: string; code?: number };
}

export interface BuildStep {
  step: number;
  total: number;
  instruction: string;
}

export class BuildProgress {
  step: BuildStep | undefined;
  imageId: string | undefined;
  error: string | undefined;
  /** The step that was running when the error came. */
  failedStep: BuildStep | undefined;
  readonly log: string[] = [];

  /** Takes one message; returns the log text it adds (possibly empty). */
  take(message: BuildMessage): string {
    if (message.error !== undefined || message.errorDetail?.message !== undefined) {
      this.error = message.errorDetail?.message ?? message.error;
      this.failedStep = this.step;
      this.log.push(`ERROR: ${this.error}`);
      return `ERROR: ${this.error}\n`;
    }
    if (message.aux?.ID) this.imageId = message.aux.ID;
    if (typeof message.stream === 'string') {
      for (const line of message.stream.split('\n')) {
        const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
        if (step) this.step = { step: Number(step[1]), total: Number(step[2]), instruction: step[3] as string };
        const built = /^Successfully built ([0-9a-f]{12,})$/.exec(line);
        if (built && !this.imageId) this.imageId = built[1];
      }
      this.log.push(message.stream);
      return message.stream;
    }
    if (message.status !== undefined) {
      const text = `${message.id ? `${message.id}: ` : ''}${message.status}${message.progress ? ` ${message.progress}` : ''}\n`;
      return text;
    }
    return '';
  }
}

/** Splits a byte stream of concatenated/newline-separated JSON objects into messages. */
export class JsonMessageSplitter {
  private buffer = '';

  push(chunk: Buffer | string): BuildMessage[] {
    this.buffer += chunk.toString();
    const messages: BuildMessage[] = [];
    let newline: number;
    while ((newline = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, newline).trim();
      this.buffer = this.buffer.slice(newline + 1);
      if (line.length > 0) messages.push(parse(line));
    }
    return messages;
  }

  end(): BuildMessage[] {
    const rest = this.buffer.trim();
    this.buffer = '';
    return rest.length > 0 ? [parse(rest)] : [];
  }
}

function parse(line: string): BuildMessage {
  try {
    return JSON.parse(line) as BuildMessage;
  } catch {
    return { stream: `${line}\n` };
  }
}
