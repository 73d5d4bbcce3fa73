import { formatCourseDates } from "./dates";

describe("formatCourseDates", () => {
  it("writes ranges the way brochures do", () => {
    expect(formatCourseDates("2027-01-12", "2027-01-13")).toBe("12–13 Jan 2027");
    expect(formatCourseDates("2027-01-30", "2027-02-01")).toBe("30 Jan – 1 Feb 2027");
    expect(formatCourseDates("2027-01-12", "2027-01-12")).toBe("12 Jan 2027");
    expect(formatCourseDates(null, null)).toBe("Dates to be announced");
  });
});
