/**
 * The instructions of a Dockerfile with the line each starts on, so that "Step N/M" of a build maps
 * back to a line (continuations, comments, parser directives and the escape character handled).
 */
export interface DockerfileInstruction {
  /** 0-based line where the instruction starts. */
  line: number;
  endLine: number;
  keyword: string;
  text: string;
}

export function dockerfileInstructions(text: string): DockerfileInstruction[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  let inDirectives = true;
  const result: DockerfileInstruction[] = [];
  let current: DockerfileInstruction | undefined;
  let heredocEnd: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (heredocEnd !== undefined) {
      if (current) current.endLine = i;
      if (line.replace(/^\t+/, '') === heredocEnd) heredocEnd = undefined;
      continue;
    }
    const trimmed = line.trim();
    if (inDirectives) {
      const directive = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(trimmed);
      if (directive) {
        if ((directive[1] as string).toLowerCase() === 'escape') escape = directive[2] as string;
        continue;
      }
      inDirectives = false;
    }
    if (current === undefined) {
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const keyword = (/^(\S+)/.exec(trimmed)?.[1] ?? '').toUpperCase();
      current = { line: i, endLine: i, keyword, text: trimmed };
    } else {
      if (trimmed.startsWith('#') || trimmed === '') continue;
      current.endLine = i;
      current.text += ` ${trimmed}`;
    }
    const heredoc = /<<-?(["']?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(line);
    if (heredoc) heredocEnd = heredoc[2];
    if (trimmed.endsWith(escape) && heredocEnd === undefined) {
      current.text = current.text.slice(0, -escape.length).trimEnd();
      continue;
    }
    result.push(current);
    current = undefined;
  }
  if (current) result.push(current);
  return result;
}
