import { formatMoney, groupIndian, parseMoneyInput } from "./money";

describe("money", () => {
  it("groups rupees in lakhs and crores", () => {
    expect(groupIndian("999")).toBe("999");
    expect(groupIndian("2450")).toBe("2,450");
    expect(groupIndian("125000")).toBe("1,25,000");
    expect(groupIndian("123456789")).toBe("12,34,56,789");
  });

  it("formats the API's decimal strings exactly", () => {
    expect(formatMoney("125000.00")).toBe("₹ 1,25,000");
    expect(formatMoney("2450.50")).toBe("₹ 2,450.50");
    expect(formatMoney("999999999999.99")).toBe("₹ 9,99,99,99,99,999.99");
    expect(formatMoney("1250.00", "USD")).toBe("USD 1,250.00");
    expect(formatMoney(null)).toBe("—");
  });

  it("reads what an admin types", () => {
    expect(parseMoneyInput("₹ 1,25,000")).toBe("125000");
    expect(parseMoneyInput("Rs. 2,450.50/-")).toBe("2450.50");
    expect(parseMoneyInput("  ")).toBeNull();
    expect(parseMoneyInput("1.2 lakh")).toBeUndefined();
    expect(parseMoneyInput("-5")).toBeUndefined();
  });
});
