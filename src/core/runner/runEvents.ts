import type { OutputStream } from './processTree';

/**
 * What a run reports while it goes, for the terminal, the status bar and the tree's running icons.
 * Both runners emit `output`; only the built-in runner knows stage boundaries, so `stage-*` events
 * come from it (DVC's own "Running stage 'x'" lines are in its output).
 */
export type RunEvent =
  | { type: 'stage-start'; stage: string; command: string; wdir: string }
  | { type: 'output'; stage?: string; text: string; stream: OutputStream }
  | { type: 'stage-skipped'; stage: string; reason: string }
  | { type: 'stage-end'; stage: string; exitCode: number; status: 'finished' | 'failed' | 'killed'; durationMs: number; message?: string };

export interface RunOutcome {
  /** 0 on success; the failing command's exit code; 128 + signal when stopped. */
  exitCode: number;
  status: 'finished' | 'failed' | 'killed';
  /** Stages whose commands ran, in order (built-in runner only). */
  ran: string[];
  skipped: string[];
  failedStage?: string;
  /** One sentence for the user when the run did not finish. */
  message?: string;
}
