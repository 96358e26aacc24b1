// Numbers and times as the reader expects them: the browser's locale and time zone.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function count(value: number): string {
  return integer.format(value);
}

export function rate(perSecond: number): string {
  return `${decimal.format(perSecond)}/s`;
}

export function when(value: string | number | undefined | null): string {
  if (value === undefined || value === null || value === '') return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '—' : dateTime.format(date);
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${integer.format(ms)} ms`;
  if (ms < 120_000) return `${decimal.format(ms / 1000)} s`;
  if (ms < 7_200_000) return `${decimal.format(ms / 60_000)} min`;
  return `${decimal.format(ms / 3_600_000)} h`;
}

export function shortHash(value: string): string {
  return value.length > 18 ? `${value.slice(0, 10)}…${value.slice(-6)}` : value;
}
