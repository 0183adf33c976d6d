/**
 * @module cli/format
 * Plain-text tables and the colour decision for the command line. Colour follows the common
 * conventions: `FORCE_COLOR` set and not `0` turns it on (and `0` off) whatever the output is,
 * as Node's own `tty.getColorDepth` does; otherwise a non-empty `NO_COLOR` (no-color.org) or
 * `TERM=dumb` turns it off; otherwise it is on only when stdout is a terminal.
 */

export function useColour(env: NodeJS.ProcessEnv, isTTY: boolean | undefined): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return isTTY === true;
}

const SGR = { green: 32, yellow: 33, red: 31 } as const;
export type Colour = keyof typeof SGR;

/**
 * Text from the gateway with control characters made visible as spaces: an audit reason or an
 * error detail could otherwise move the cursor or recolour the operator's terminal.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** A table cell: its text, and a colour used only when colour is on. */
export interface Cell {
  text: string;
  colour?: Colour;
}

/**
 * Columns padded to their widest cell; colour codes wrap the text after padding is measured, so
 * coloured and plain tables line up the same. The last column is not padded (no trailing blanks).
 */
export function table(
  headers: readonly string[],
  rows: readonly (readonly (string | Cell)[])[],
  colour: boolean,
) {
  const cells = rows.map((row) =>
    row.map((cell) =>
      typeof cell === 'string' ? { text: printable(cell) } : { ...cell, text: printable(cell.text) },
    ),
  );
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => row[column]?.text.length ?? 0)),
  );
  const line = (row: readonly Cell[]) =>
    row
      .map((cell, column) => {
        const padded = column === row.length - 1 ? cell.text : cell.text.padEnd(widths[column]!);
        if (!colour || cell.colour === undefined) return padded;
        return `\x1b[${SGR[cell.colour]}m${cell.text}\x1b[39m${padded.slice(cell.text.length)}`;
      })
      .join('  ');
  return [line(headers.map((text) => ({ text }))), ...cells.map(line)].join('\n') + '\n';
}

/** `1h 05m`, `4m 10s`, `42s`; `expired` at or below zero; `-` when unknown. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '-';
  if (seconds <= 0) return 'expired';
  const whole = Math.floor(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours >= 24) return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

/** An epoch-ms instant as a compact UTC time (`2025-03-01 14:05:09Z`). */
export function instant(epochMs: number | string): string {
  const date = new Date(epochMs);
  if (Number.isNaN(date.getTime())) return String(epochMs);
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, 'Z');
}
