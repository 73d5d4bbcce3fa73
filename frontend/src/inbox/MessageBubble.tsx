/** One message in a thread: who sent it, what it says, and for outbound how far it got. */
import { Text, Tooltip } from "@mantine/core";
import type { Message } from "../api/client";
import { formatDateTime } from "../lib/format";
import { WhatsAppText, carriesFormatting } from "../lib/whatsapp";
import classes from "./InboxPage.module.css";
import { Attachment, QuotedMessage, ReactionBadges, type Reaction } from "./MessageContent";

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

// Their text only repeats what the card shows.
const SHOWN_BY_CARD = new Set(["location", "contacts"]);

function Body({ message }: { message: Message }) {
  const attachment = <Attachment message={message} />;
  const hasAttachment = message.media != null || SHOWN_BY_CARD.has(message.type);
  let text = null;
  // An outbound document without a caption is summarised by its name, which the file shows.
  const onlyTheFileName = message.media != null && message.text === message.media.filename;
  if (SHOWN_BY_CARD.has(message.type) || onlyTheFileName) text = null;
  else if (message.text)
    text = (
      <div className={classes.text}>
        {carriesFormatting(message.type) ? <WhatsAppText text={message.text} /> : message.text}
      </div>
    );
  else if (!hasAttachment)
    text = (
      <Text size="sm" fs="italic" c="dimmed">
        {message.type === "template"
          ? `Template ${String((message.payload as { name?: unknown }).name ?? "")}`
          : `A ${message.type} message`}
      </Text>
    );
  return (
    <>
      {hasAttachment && attachment}
      {text}
    </>
  );
}

export function MessageBubble({
  message,
  quoted,
  reactions,
}: {
  message: Message;
  /** The message this one answers: undefined when it answers none, null when it is not
   * loaded. */
  quoted?: Message | null;
  reactions?: Reaction[];
}) {
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
      {quoted !== undefined && <QuotedMessage quoted={quoted} />}
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
      {reactions && reactions.length > 0 && <ReactionBadges reactions={reactions} />}
      {problem && (
        <Text size="xs" c={tick.tone === "failed" ? "red.8" : "dimmed"} mt={4}>
          {tick.label}
        </Text>
      )}
    </li>
  );
}
