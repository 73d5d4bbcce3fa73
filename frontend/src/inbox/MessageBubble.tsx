/** One message in a thread: who sent it, what it says, and for outbound how far it got. */
import { Text, Tooltip } from "@mantine/core";
import type { Message } from "../api/client";
import { formatDateTime } from "../lib/format";
import { WhatsAppText, carriesFormatting } from "../lib/whatsapp";
import classes from "./InboxPage.module.css";

type Tick = { mark: string; label: string; tone: "pending" | "sent" | "read" | "failed" | "muted" };

export function tickFor(message: Pick<Message, "status" | "error_reason" | "error_title">): Tick {
  switch (message.status) {
    case "queued":
    case "sending":
      return { mark: "🕓", label: "Waiting to send", tone: "pending" };
    case "accepted":
    case "sent":
      return { mark: "✓", label: "Sent", tone: "sent" };
    case "delivered":
      return { mark: "✓✓", label: "Delivered", tone: "sent" };
    case "read":
    case "played":
      return { mark: "✓✓", label: "Read", tone: "read" };
    case "failed":
      return {
        mark: "!",
        label: `Failed: ${message.error_reason || message.error_title || "WhatsApp refused it"}`,
        tone: "failed",
      };
    case "cancelled":
      return {
        mark: "⊘",
        label: `Cancelled${message.error_reason ? `: ${message.error_reason}` : ""}`,
        tone: "muted",
      };
    default:
      return { mark: "", label: message.status, tone: "muted" };
  }
}

function Body({ message }: { message: Message }) {
  if (message.text)
    return (
      <div className={classes.text}>
        {carriesFormatting(message.type) ? <WhatsAppText text={message.text} /> : message.text}
      </div>
    );
  return (
    <Text size="sm" fs="italic" c="dimmed">
      {message.type === "template"
        ? `Template ${String((message.payload as { name?: unknown }).name ?? "")}`
        : `A ${message.type} message`}
    </Text>
  );
}

export function MessageBubble({ message }: { message: Message }) {
  const inbound = message.direction === "in";
  const tick = inbound ? null : tickFor(message);
  const problem = tick && (tick.tone === "failed" || tick.tone === "muted") && tick.mark;
  return (
    <li
      className={`${classes.bubble} ${inbound ? classes.inbound : classes.outbound} ${
        message.sender.kind === "ai" ? classes.ai : ""
      }`}
      aria-label={`${message.sender.label}, ${formatDateTime(message.created_at)}`}
    >
      <Text size="xs" fw={600} className={classes.sender}>
        {message.sender.label}
      </Text>
      <Body message={message} />
      <div className={classes.meta}>
        <time dateTime={message.created_at}>{formatDateTime(message.created_at)}</time>
        {tick && (
          <Tooltip label={tick.label} withinPortal>
            <span
              className={`${classes.tick} ${classes[tick.tone]}`}
              role="img"
              aria-label={tick.label}
              data-status={message.status}
            >
              {tick.mark}
            </span>
          </Tooltip>
        )}
      </div>
      {problem && (
        <Text size="xs" c={tick.tone === "failed" ? "red.8" : "dimmed"} mt={4}>
          {tick.label}
        </Text>
      )}
    </li>
  );
}
