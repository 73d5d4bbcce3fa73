import { describe, expect, it } from "vitest";
import { numberEnding } from "../lib/format";
import { isSendKeystroke } from "./sendKey";

const key = (overrides: Partial<Parameters<typeof isSendKeystroke>[0]> = {}) => ({
  key: "Enter",
  shiftKey: false,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  nativeEvent: {},
  ...overrides,
});

describe("keyboard sending", () => {
  it("sends on Enter, or only on Ctrl/Cmd+Enter when chosen; Shift+Enter is a new line", () => {
    expect(isSendKeystroke(key(), "enter")).toBe(true);
    expect(isSendKeystroke(key({ shiftKey: true }), "enter")).toBe(false);
    expect(isSendKeystroke(key(), "ctrl-enter")).toBe(false);
    expect(isSendKeystroke(key({ ctrlKey: true }), "ctrl-enter")).toBe(true);
    expect(isSendKeystroke(key({ metaKey: true }), "ctrl-enter")).toBe(true);
    expect(isSendKeystroke(key({ key: "a" }), "enter")).toBe(false);
  });

  it("never sends while an input method is composing a word", () => {
    expect(isSendKeystroke(key({ nativeEvent: { isComposing: true } }), "enter")).toBe(false);
  });
});

describe("numberEnding", () => {
  it("gives the last digits of the number unless the name already shows them", () => {
    expect(numberEnding({ wa_id: "919876543210", display_name: "Dr. Rahul Sharma" })).toBe("…3210");
    expect(numberEnding({ wa_id: "919876543210", display_name: "+91 98765 43210" })).toBeNull();
    expect(numberEnding({ wa_id: null, display_name: "@dr.kavya" })).toBeNull();
  });
});
