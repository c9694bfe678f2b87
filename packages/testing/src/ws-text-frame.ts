// The unmasked WebSocket text frame a server's ws.send would write for an ASCII string under
// 64 KiB, put into a buffer by hand: the benchmark exchanges write many of them in one socket write.

/** Most bytes one frame of `text` takes: the header (up to 4 here) and the text. */
export function frameSize(text: string): number {
  return text.length + 4;
}

/** Writes the frame of `text` (ASCII, under 65,536 characters) at `off`; returns the offset after it. */
export function putTextFrame(out: Buffer, off: number, text: string): number {
  const len = text.length; // ASCII: one byte per character
  out[off++] = 0x81; // FIN + text
  if (len < 126) out[off++] = len;
  else {
    out[off++] = 126;
    out[off++] = len >> 8;
    out[off++] = len & 0xff;
  }
  return off + out.write(text, off, 'latin1');
}
