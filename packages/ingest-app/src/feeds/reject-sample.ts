/** Longest sample of a refused message kept for the log: enough to recognise it, never a flood. */
export const SAMPLE_CHARS = 200;

export function sampleOf(text: string): string {
  return text.length > SAMPLE_CHARS ? `${text.slice(0, SAMPLE_CHARS)}...` : text;
}
