/** What a command produced: one JSON object for --json, readable text otherwise. */
export interface CommandResult {
  json: Record<string, unknown>;
  text: string;
}

export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function writeResult(streams: Streams, result: CommandResult, asJson: boolean): void {
  if (asJson) streams.stdout.write(`${JSON.stringify(result.json)}\n`);
  else if (result.text) streams.stdout.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
}

export function writeError(streams: Streams, message: string): void {
  streams.stderr.write(`idp: ${message}\n`);
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A plain table: header row, then rows; columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** "key: value" lines, keys aligned. */
export function fields(pairs: [string, string][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `  ${`${k}:`.padEnd(width + 1)} ${v}`).join('\n');
}
