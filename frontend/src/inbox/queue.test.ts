import type { Conversation } from "../api/client";
import { listVerdict } from "./queries";
import { formatWaiting } from "./WaitingTimer";

const conversation = (overrides: Partial<Conversation>) =>
  ({
    id: 7,
    mode: "human",
    status: "open",
    assigned_user: null,
    unread_count: 0,
    awaiting_since: null,
    ...overrides,
  }) as Conversation;

describe("which lists show a conversation after an event", () => {
  it("takes an answered conversation out of the awaiting queue, a waiting one in", () => {
    const queue = { status: "open", awaiting: true } as const;
    expect(listVerdict(conversation({}), queue, 1)).toBe("out");
    expect(listVerdict(conversation({ awaiting_since: "2026-12-07T05:00:00Z" }), queue, 1)).toBe(
      "in",
    );
  });

  it("takes a closed conversation out of the open lists and into the closed one", () => {
    const closed = conversation({ status: "closed" });
    expect(listVerdict(closed, { status: "open" }, 1)).toBe("out");
    expect(listVerdict(closed, { status: "closed" }, 1)).toBe("in");
  });

  it("follows an assignment to someone else out of “Assigned to me”", () => {
    const theirs = conversation({ assigned_user: { id: 2, name: "Neha" } });
    expect(listVerdict(theirs, { status: "open", assigned: "me" }, 1)).toBe("out");
    expect(listVerdict(theirs, { status: "open", assigned: "me" }, 2)).toBe("in");
  });

  it("keeps what it cannot judge: a search, the conversation being read in Unread", () => {
    expect(listVerdict(conversation({}), { status: "open", q: "trocar" }, 1)).toBe("keep");
    expect(listVerdict(conversation({}), { status: "open", unread: true }, 1)).toBe("keep");
  });
});

describe("the waiting timer", () => {
  const since = "2026-12-07T05:00:00+00:00";
  const at = (minutes: number) => Date.parse(since) + minutes * 60_000;
  it("counts minutes, then hours, then days", () => {
    expect(formatWaiting(since, at(0.5))).toBe("waiting <1 min");
    expect(formatWaiting(since, at(12))).toBe("waiting 12 min");
    expect(formatWaiting(since, at(150))).toBe("waiting 2 h 30 min");
    expect(formatWaiting(since, at(3 * 24 * 60))).toBe("waiting 3 days");
  });
});
