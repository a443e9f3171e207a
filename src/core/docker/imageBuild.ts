import { promises as fs } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import type Docker from 'dockerode';
import { packContext, type ContextSummary } from './buildContext';
import { BuildProgress, JsonMessageSplitter, type BuildStep } from './buildProgress';
import { dockerfileInstructions } from './dockerfileInstructions';
import { EngineUnreachableError, isConnectionError } from './engineConnection';

/** Builds an image through the Engine API (`POST /build`) with the context streamed from disk. */
export interface BuildRequest {
  /** Context folder (absolute). */
  context: string;
  /** Dockerfile (absolute); must be inside the context. */
  dockerfile: string;
  tags: string[];
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  platform?: string;
  noCache?: boolean;
  pull?: boolean;
}

export interface BuildListener {
  /** Raw log text, as the engine sends it. */
  log?(text: string): void;
  step?(step: BuildStep): void;
  /** Context upload progress in bytes. */
  upload?(bytes: number): void;
}

export interface BuildResult {
  imageId: string;
  tags: string[];
  context: ContextSummary;
}

/** A failed build, with the sentence for people and where in the Dockerfile it failed. */
export class BuildError extends Error {
  constructor(
    message: string,
    readonly detail: string,
    readonly step?: BuildStep,
    /** 0-based line of the failing instruction in the Dockerfile. */
    readonly line?: number,
    readonly endLine?: number,
  ) {
    super(message);
  }
}

/** The engine went away while a build was streaming (daemon stopped, crashed or restarted). */
export class EngineStoppedError extends BuildError {}

export class BuildCancelledError extends Error {
  constructor() {
    super('The image build was cancelled.');
  }
}

export async function buildImage(
  docker: Docker,
  where: string,
  request: BuildRequest,
  listener: BuildListener = {},
  signal?: AbortSignal,
): Promise<BuildResult> {
  const dockerfileRelative = relative(request.context, request.dockerfile);
  if (dockerfileRelative.startsWith('..') || resolve(request.context, dockerfileRelative) !== resolve(request.dockerfile)) {
    throw new BuildError(
      `The Dockerfile ${request.dockerfile} is outside the build context ${request.context}: choose a context that contains it.`,
      '',
    );
  }
  let dockerfileText: string;
  try {
    dockerfileText = await fs.readFile(request.dockerfile, 'utf8');
  } catch (error) {
    throw new BuildError(`The Dockerfile ${request.dockerfile} cannot be read: check that it exists.`, String(error));
  }
  if (signal?.aborted) throw new BuildCancelledError();
  const packed = packContext({ root: request.context, dockerfile: dockerfileRelative.split(sep).join('/') });
  let uploaded = 0;
  packed.stream.on('data', (chunk: Buffer) => {
    uploaded += chunk.length;
    listener.upload?.(uploaded);
  });
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const progress = new BuildProgress();
  try {
    const options: Record<string, unknown> = {
      t: request.tags,
      dockerfile: dockerfileRelative.split(sep).join('/'),
      labels: request.labels ?? {},
      buildargs: request.buildArgs ?? {},
      rm: true,
      forcerm: true,
      abortSignal: controller.signal,
    };
    if (request.target) options.target = request.target;
    if (request.platform) options.platform = request.platform;
    if (request.noCache) options.nocache = true;
    if (request.pull) options.pull = true;
    let response: NodeJS.ReadableStream;
    try {
      response = await docker.buildImage(packed.stream as unknown as NodeJS.ReadableStream, options as Docker.ImageBuildOptions);
    } catch (error) {
      if (signal?.aborted) throw new BuildCancelledError();
      if (isConnectionError(error)) throw new EngineUnreachableError(where, error);
      const message = (error as { json?: { message?: string } }).json?.message ?? (error as Error).message;
      throw new BuildError(`The Docker Engine refused the build: ${firstLine(message)}`, String(message));
    }
    const splitter = new JsonMessageSplitter();
    await new Promise<void>((resolveStream, rejectStream) => {
      const take = (messages: ReturnType<JsonMessageSplitter['push']>): void => {
        for (const message of messages) {
          const before = progress.step;
          const text = progress.take(message);
          if (text) listener.log?.(text);
          if (progress.step && progress.step !== before) listener.step?.(progress.step);
        }
      };
      let ended = false;
      response.on('data', (chunk: Buffer) => take(splitter.push(chunk)));
      response.on('end', () => {
        ended = true;
        take(splitter.end());
        resolveStream();
      });
      response.on('error', rejectStream);
      // A connection that closes before the engine's last message: the daemon stopped or crashed.
      response.on('close', () => {
        if (signal?.aborted) rejectStream(new BuildCancelledError());
        else if (!ended) rejectStream(new Error('the connection closed before the build finished'));
      });
    }).catch((error: unknown) => {
      if (signal?.aborted) throw new BuildCancelledError();
      const step = progress.step ? ` at step ${progress.step.step}/${progress.step.total} (${progress.step.instruction})` : '';
      throw new EngineStoppedError(
        `The Docker Engine at ${where} stopped answering during the build${step}, so no image was made: check that it is running (start it again if it stopped), then build again.`,
        `${String(error)}\n${progress.log.join('')}`,
        progress.step,
      );
    });
    if (signal?.aborted) throw new BuildCancelledError();
    if (progress.error !== undefined) {
      const step = progress.failedStep;
      const instruction = step ? dockerfileInstructions(dockerfileText)[step.step - 1] : undefined;
      const at = step ? ` at step ${step.step}/${step.total} (${step.instruction})` : '';
      const line = instruction ? ` on line ${instruction.line + 1} of the Dockerfile` : '';
      throw new BuildError(
        `The image build failed${at}${line}: ${firstLine(progress.error)}`,
        progress.error,
        step,
        instruction?.line,
        instruction?.endLine,
      );
    }
    if (!progress.imageId)
      throw new BuildError('The image build ended without an image: see the build log for what happened.', progress.log.join(''));
    const context = await packed.done;
    return { imageId: progress.imageId, tags: request.tags, context };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    packed.stream.destroy();
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]?.trim() ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
