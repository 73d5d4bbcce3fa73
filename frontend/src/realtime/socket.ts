/**
 * The live connection to `/api/v1/ws` (cookie session, same origin). Messages are JSON
 * `{"type": "...", "data": {...}}`; the server opens every connection with `hello`, after which
 * the client refetches what it shows, since events may have been missed while it was away.
 *
 * It stays up on its own: when the socket drops or cannot open (server restarting, endpoint
 * missing, network gone) it tries again with exponential backoff and jitter until stopped; it
 * pings to notice a silently dead connection. Close code 4401 means the login ended: it stops
 * and says so instead of retrying.
 */

/** An event as read off the wire: any type, its data unchecked (`events.ts` knows the types). */
export type IncomingEvent = { type: string; data: Record<string, unknown> };
export type ConnectionState = "connecting" | "live" | "offline";

export const SESSION_ENDED = 4401;

export type RealtimeOptions = {
  url: string;
  onEvent: (event: IncomingEvent) => void;
  onState: (state: ConnectionState) => void;
  /** On every `hello`: the connection is usable, and what is shown may be stale. */
  onHello: () => void;
  onSessionEnded: () => void;
  minDelayMs?: number;
  maxDelayMs?: number;
  pingEveryMs?: number;
  random?: () => number;
  createSocket?: (url: string) => WebSocket;
};

export function realtimeUrl(location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/ws`;
}

export function parseEvent(raw: unknown): IncomingEvent | null {
  if (typeof raw !== "string") return null;
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!message || typeof message !== "object") return null;
  const { type, data } = message as { type?: unknown; data?: unknown };
  if (typeof type !== "string") return null;
  const payload = data && typeof data === "object" ? (data as Record<string, unknown>) : {};
  return { type, data: payload };
}

export class RealtimeClient {
  private readonly options: Required<RealtimeOptions>;
  private socket: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private failures = 0;
  private stopped = true;

  constructor(options: RealtimeOptions) {
    this.options = {
      minDelayMs: 1_000,
      maxDelayMs: 30_000,
      pingEveryMs: 25_000,
      random: Math.random,
      createSocket: (url) => new WebSocket(url),
      ...options,
    };
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener("online", this.reconnectNow);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.reconnectNow);
    this.clearRetry();
    this.drop();
  }

  /** The wait before attempt `failures + 1`: doubling from the minimum, capped, ±50 % jitter. */
  delayFor(failures: number): number {
    const { minDelayMs, maxDelayMs, random } = this.options;
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** Math.max(0, failures - 1));
    return Math.round(base * (0.5 + random() / 2));
  }

  private readonly reconnectNow = (): void => {
    if (this.stopped || this.socket) return;
    this.clearRetry();
    this.connect();
  };

  private connect(): void {
    this.options.onState("connecting");
    let socket: WebSocket;
    try {
      socket = this.options.createSocket(this.options.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onmessage = (message: MessageEvent) => {
      this.lastHeard = Date.now();
      const event = parseEvent(message.data);
      if (!event || event.type === "pong") return;
      if (event.type === "hello") {
        this.failures = 0;
        this.startPinging();
        this.options.onState("live");
        this.options.onHello();
        return;
      }
      this.options.onEvent(event);
    };
    socket.onclose = (close: CloseEvent) => {
      if (this.socket !== socket) return;
      this.drop();
      if (close.code === SESSION_ENDED) {
        this.stopped = true;
        this.options.onState("offline");
        this.options.onSessionEnded();
        return;
      }
      this.scheduleRetry();
    };
  }

  private startPinging(): void {
    this.stopPinging();
    const every = this.options.pingEveryMs;
    this.pingTimer = setInterval(() => {
      const socket = this.socket;
      if (!socket) return;
      if (Date.now() - this.lastHeard > every * 2.5) {
        // Nothing heard, not even pongs: the connection is dead without having said so.
        this.drop();
        this.scheduleRetry();
        return;
      }
      if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
    }, every);
  }

  private stopPinging(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  /** Forget the current socket without its close handler running. */
  private drop(): void {
    this.stopPinging();
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) {
      socket.close();
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.failures += 1;
    this.options.onState("offline");
    this.clearRetry();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, this.delayFor(this.failures));
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }
}
