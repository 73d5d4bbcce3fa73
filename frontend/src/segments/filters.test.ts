import { describe as suite, expect, it } from "vitest";
import { compact, describe } from "./filters";

suite("segment filters", () => {
  it("sends only the fields that narrow", () => {
    expect(
      compact({ specialty: [], city: ["Pune"], score_min: null, q: "", consent: "opted_in" }),
    ).toEqual({ city: ["Pune"], consent: "opted_in" });
  });

  it("describes a saved segment in a line", () => {
    expect(describe({})).toBe("All doctors");
    expect(describe({ city: ["Pune", "Mumbai"], score_min: 60, consent: "opted_out" })).toBe(
      "City: Pune, Mumbai · Score 60–100 · Opted out",
    );
    expect(
      describe({ inbound_within_days: 30, outbound_silent_days: 1, number_id: 2 }, (id) =>
        id === 2 ? "Sales Pune" : "?",
      ),
    ).toBe("Wrote in the last 30 days · Nothing sent 1 day+ · Via Sales Pune");
  });
});
