import { Readable, Writable } from 'node:stream';

/** Collects what is written to it, as text. */
export class TextSink extends Writable {
  text = '';

  override _write(chunk: Buffer | string, _encoding: string, done: (error?: Error) => void): void {
    this.text += chunk.toString();
    done();
  }

  /** The lines written so far, without the final empty string. */
  lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
}

/** A readable that yields `text` in small chunks, as a file or a pipe would. */
export function readableOf(text: string, chunkSize = 64): Readable {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += chunkSize) chunks.push(text.slice(i, i + chunkSize));
  return Readable.from(chunks, { objectMode: false });
}
