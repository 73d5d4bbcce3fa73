/** Which keystroke sends from the composer, chosen by each person and kept in this browser
 * (there is no per-user preferences store on the server). */
import { useLocalStorage } from "@mantine/hooks";
import { useCurrentUser } from "../auth/session";

export type SendKey = "enter" | "ctrl-enter";

export const SEND_KEY_LABELS: Record<SendKey, { label: string; hint: string }> = {
  enter: { label: "Enter sends", hint: "Enter sends, Shift+Enter for a new line" },
  "ctrl-enter": { label: "Ctrl+Enter sends", hint: "Ctrl+Enter sends, Enter for a new line" },
};

export function useSendKey(): [SendKey, (value: SendKey) => void] {
  const user = useCurrentUser();
  const [value, setValue] = useLocalStorage<SendKey>({
    key: `surgiai.send-key.${user.id}`,
    defaultValue: "enter",
    getInitialValueInEffect: false,
  });
  return [value === "ctrl-enter" ? "ctrl-enter" : "enter", setValue];
}

/** Whether this key press sends. Shift+Enter is always a new line; so is any Enter while an
 * input method is composing a word. */
export function isSendKeystroke(
  event: {
    key: string;
    shiftKey: boolean;
    ctrlKey: boolean;
    metaKey: boolean;
    altKey: boolean;
    nativeEvent: { isComposing?: boolean };
  },
  sendKey: SendKey,
): boolean {
  if (event.key !== "Enter" || event.shiftKey || event.altKey || event.nativeEvent.isComposing)
    return false;
  const withCtrl = event.ctrlKey || event.metaKey;
  return sendKey === "enter" || withCtrl;
}
