// An event-stream (SSE) reader over fetch, as a browser's EventSource reads a consult's
// notification stream: the events in order, comments (heartbeats) counted, and whether the
// server ended the stream.

export interface SseEvent {
  id?: string;
  event?: string;
  data?: unknown;
}

export class EventStreamReader {
  readonly events: SseEvent[] = [];
  comments = 0;
  ended = false;
  private buffer = '';

  private constructor(response: Response, private readonly abort: AbortController) {
    void this.pump(response.body!.getReader());
  }

  /**
   * GETs `url` with the bearer token (and Last-Event-ID, to be sent what was held since); throws
   * with the answer when it is not a 200 event stream.
   */
  static async open(url: string, token: string, lastEventId?: number): Promise<EventStreamReader> {
    const abort = new AbortController();
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': String(lastEventId) } : {}) };
    const response = await fetch(url, { headers, signal: abort.signal });
    if (response.status !== 200) throw new Error(`event stream ${url} answered ${response.status}: ${await response.text()}`);
    return new EventStreamReader(response, abort);
  }

  /**
   * Reads a stream the caller fetched itself (to assert on its status and headers first);
   * `abort` is the controller whose signal that fetch was given, so close() ends it.
   */
  static read(response: Response, abort: AbortController): EventStreamReader {
    return new EventStreamReader(response, abort);
  }

  close(): void {
    this.abort.abort();
  }

  /** The kinds of the events received so far, in order. */
  kinds(): string[] {
    return this.events.map((event) => event.event!);
  }

  async until(predicate: (reader: EventStreamReader) => boolean, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error(`event stream: condition not met within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private async pump(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, cut);
          this.buffer = this.buffer.slice(cut + 2);
          const event: SseEvent = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments++;
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data = JSON.parse(line.slice(6));
          }
          if (event.event) this.events.push(event);
        }
      }
    } catch {
      // closed by the test
    }
    this.ended = true;
  }
}
