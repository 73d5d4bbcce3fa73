import {
  byCount,
  describeQuietHours,
  formatDuration,
  formatProgress,
  minuteToTime,
  progressOf,
  timeToMinute,
} from "./progress";
import type { RecipientCounts } from "./types";

function counts(overrides: Partial<RecipientCounts>): RecipientCounts {
  return {
    total: 0,
    pending: 0,
    sending: 0,
    sent: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
    delivered: 0,
    read: 0,
    replied: 0,
    deferred: 0,
    ...overrides,
  };
}

describe("progress", () => {
  it("counts sent, failed and skipped recipients as done", () => {
    expect(
      progressOf(counts({ total: 200, sent: 30, failed: 5, skipped: 15, pending: 150 })),
    ).toEqual({ done: 50, total: 200, percent: 25 });
    expect(formatProgress(counts({ total: 12000, sent: 3000 }))).toBe("3,000 of 12,000 (25 %)");
    expect(formatProgress(counts({ total: 5000, sent: 1 }))).toBe("1 of 5,000 (0.0 %)");
    expect(formatProgress(counts({ total: 3, sent: 2 }))).toBe("2 of 3 (66 %)");
    expect(formatProgress(counts({}))).toBe("No recipients yet");
  });
});

describe("quiet hours", () => {
  it("reads and writes times of day as minutes", () => {
    expect(timeToMinute("21:00")).toBe(1260);
    expect(timeToMinute("9:05")).toBe(545);
    expect(timeToMinute("24:00")).toBeNull();
    expect(timeToMinute("")).toBeNull();
    expect(minuteToTime(540)).toBe("09:00");
    expect(describeQuietHours(1260, 540, "Asia/Kolkata")).toBe(
      "No sends 21:00–09:00 (Asia/Kolkata)",
    );
    expect(describeQuietHours(null, null, "Asia/Kolkata")).toBeNull();
  });
});

it("says how long a forecast is", () => {
  expect(formatDuration(41.7)).toBe("42 s");
  expect(formatDuration(125)).toBe("2 min");
  expect(formatDuration(3 * 3600 + 20 * 60)).toBe("3 h 20 min");
  expect(formatDuration(7200)).toBe("2 h");
  expect(formatDuration(2 * 86400 + 4 * 3600)).toBe("2 days 4 h");
});

it("orders reasons by count", () => {
  expect(byCount({ "Opted out": 3, Unreachable: 12, Blocked: 3, None: 0 })).toEqual([
    ["Unreachable", 12],
    ["Blocked", 3],
    ["Opted out", 3],
  ]);
});
