import { parseEvent, RealtimeClient, SESSION_ENDED, type RealtimeOptions } from "./socket";

/** A WebSocket the test drives by hand. */
class FakeSocket {
  static created: FakeSocket[] = [];
  readyState = 0;
  sent: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: string }) => void) | null = null;
  onclose: ((event: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.created.push(this);
  }
  send(data: string) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  receive(message: unknown) {
    this.readyState = 1;
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  fail(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

function client(overrides: Partial<RealtimeOptions> = {}) {
  const calls = { events: [] as string[], states: [] as string[], hellos: 0, ended: 0 };
  const realtime = new RealtimeClient({
    url: "ws://localhost/api/v1/ws",
    onEvent: (event) => calls.events.push(event.type),
    onState: (state) => calls.states.push(state),
    onHello: () => (calls.hellos += 1),
    onSessionEnded: () => (calls.ended += 1),
    random: () => 1,
    createSocket: (url) => new FakeSocket(url) as unknown as WebSocket,
    ...overrides,
  });
  return { realtime, calls };
}

const latest = () => FakeSocket.created.at(-1)!;

describe("RealtimeClient", () => {
  beforeEach(() => {
    FakeSocket.created = [];
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("goes live on hello, asks for a refetch, and passes events on", () => {
    const { realtime, calls } = client();
    realtime.start();
    latest().receive({ type: "hello", data: { user: { id: 1 } } });
    latest().receive({ type: "number.updated", data: { id: 1 } });

    expect(calls.states).toEqual(["connecting", "live"]);
    expect(calls.hellos).toBe(1);
    expect(calls.events).toEqual(["number.updated"]);
    realtime.stop();
  });

  it("retries with growing delays while the endpoint is unavailable, then recovers", () => {
    const { realtime, calls } = client();
    realtime.start();
    for (const wait of [1_000, 2_000, 4_000, 8_000]) {
      latest().fail();
      const before = FakeSocket.created.length;
      vi.advanceTimersByTime(wait - 1);
      expect(FakeSocket.created).toHaveLength(before);
      vi.advanceTimersByTime(1);
      expect(FakeSocket.created).toHaveLength(before + 1);
    }
    latest().receive({ type: "hello", data: {} });
    expect(calls.states.at(-1)).toBe("live");

    // A later drop starts again from the shortest delay.
    latest().fail(1013);
    vi.advanceTimersByTime(1_000);
    latest().receive({ type: "hello", data: {} });
    expect(calls.hellos).toBe(2);
    realtime.stop();
  });

  it("caps the delay and spreads reconnections out", () => {
    const { realtime } = client({ random: () => 0 });
    expect(realtime.delayFor(1)).toBe(500);
    expect(realtime.delayFor(20)).toBe(15_000);
    expect(client().realtime.delayFor(20)).toBe(30_000);
  });

  it("stops when the server says the session ended", () => {
    const { realtime, calls } = client();
    realtime.start();
    latest().receive({ type: "hello", data: {} });
    latest().fail(SESSION_ENDED);
    vi.advanceTimersByTime(60_000);

    expect(calls.ended).toBe(1);
    expect(FakeSocket.created).toHaveLength(1);
  });

  it("pings, and reconnects when nothing at all comes back", () => {
    const { realtime } = client({ pingEveryMs: 1_000 });
    realtime.start();
    const first = latest();
    first.receive({ type: "hello", data: {} });
    vi.advanceTimersByTime(1_000);
    expect(first.sent).toEqual(['{"type":"ping"}']);

    vi.advanceTimersByTime(3_000);
    vi.advanceTimersByTime(1_000);
    expect(FakeSocket.created.length).toBeGreaterThan(1);
    realtime.stop();
  });

  it("opens no socket after being stopped", () => {
    const { realtime } = client();
    realtime.start();
    latest().fail();
    realtime.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.created).toHaveLength(1);
  });
});

describe("parseEvent", () => {
  it("accepts the documented shape and nothing else", () => {
    expect(parseEvent('{"type":"typing","data":{"conversation_id":3}}')).toEqual({
      type: "typing",
      data: { conversation_id: 3 },
    });
    expect(parseEvent('{"type":"hello"}')).toEqual({ type: "hello", data: {} });
    expect(parseEvent("not json")).toBeNull();
    expect(parseEvent('{"data":{}}')).toBeNull();
    expect(parseEvent(new ArrayBuffer(2))).toBeNull();
  });
});
