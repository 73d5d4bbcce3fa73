import type { Agent } from "../api/client";
import { sentence, whileDisabled } from "./health";

function agent(name: string, overrides: Partial<Agent> = {}): Agent {
  return {
    name,
    description: "",
    standby: null,
    critical: true,
    state: "healthy",
    reason: null,
    circuit: "closed",
    disabled: false,
    runs_5m: 0,
    error_rate_5m: null,
    p50_ms_5m: null,
    p95_ms_5m: null,
    runs_1h: 0,
    error_rate_1h: null,
    p50_ms_1h: null,
    p95_ms_1h: null,
    last_error: null,
    last_error_at: null,
    ...overrides,
  };
}

describe("whileDisabled says who answers instead", () => {
  const greeting = agent("greeting", { standby: "acknowledgement" });
  const acknowledgement = agent("acknowledgement");
  const handoff = agent("human_handoff", { critical: false });
  const lone = agent("orders");
  const all = [greeting, acknowledgement, handoff, lone];

  it.each([
    [greeting, "Its standby, acknowledgement, answers instead until you enable it again."],
    [
      acknowledgement,
      "It stands in for greeting when that agent fails. While it is disabled, a person takes over those conversations.",
    ],
    [lone, "A person takes over the conversations it would answer until you enable it again."],
    [handoff, "It does not run until you enable it again, and nothing takes its place."],
  ])("%o", (subject, expected) => {
    expect(whileDisabled(subject, all)).toBe(expected);
  });
});

describe("sentence", () => {
  it("capitalises the API's reason and ends it with a full stop, once", () => {
    expect(sentence("its circuit breaker is open")).toBe("Its circuit breaker is open.");
    expect(sentence("done.")).toBe("Done.");
  });
});
