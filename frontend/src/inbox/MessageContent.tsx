/** What a message carries besides its text, as WhatsApp shows it: the photo, the voice note,
 * the file, the place on a map, the shared contact, the message it answers. */
import { Anchor, Modal, Text, UnstyledButton } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import type { Message } from "../api/client";
import { formatBytes } from "../lib/format";
import classes from "./InboxPage.module.css";

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const str = (value: unknown): string | null =>
  typeof value === "string" && value.trim() ? value : null;

/** The Cloud API object of the message's type: inbound rows keep the whole message as
 * received, outbound rows the object that was sent. */
export function typeObject(message: Pick<Message, "direction" | "type" | "payload">): unknown {
  const payload = message.payload as Fields;
  return message.direction === "in" ? payload[message.type] : payload;
}

function ImageView({ url, alt, sticker }: { url: string; alt: string; sticker: boolean }) {
  const [opened, { open, close }] = useDisclosure(false);
  if (sticker) return <img src={url} alt={alt} className={classes.sticker} />;
  return (
    <>
      <UnstyledButton onClick={open} aria-label={`Enlarge: ${alt}`} className={classes.thumbButton}>
        <img src={url} alt={alt} className={classes.thumbnail} loading="lazy" />
      </UnstyledButton>
      <Modal opened={opened} onClose={close} title={alt} size="auto" centered>
        <img src={url} alt={alt} className={classes.enlarged} />
      </Modal>
    </>
  );
}

function MediaView({ message }: { message: Message }) {
  const media = message.media!;
  const object = typeObject(message);
  const voice = message.type === "audio" && isFields(object) && object.voice === true;
  const what =
    message.type === "audio"
      ? voice
        ? "Voice note"
        : "Audio"
      : message.type.charAt(0).toUpperCase() + message.type.slice(1);
  if (media.state === "downloading")
    return (
      <Text size="sm" c="dimmed" fs="italic">
        {what}: downloading from WhatsApp…
      </Text>
    );
  if (media.state === "failed")
    return (
      <Text size="sm" c="red.8" role="note" aria-label="Media could not be downloaded">
        {what}: media could not be downloaded. {media.error}
      </Text>
    );
  if (media.state === "not_kept" || !media.url) {
    const link = isFields(object) ? str(object.link) : null;
    return link ? (
      <Anchor href={link} target="_blank" rel="noreferrer" size="sm">
        {what} (sent by link)
      </Anchor>
    ) : (
      <Text size="sm" c="dimmed" fs="italic">
        {what} sent by WhatsApp media id (not kept here)
      </Text>
    );
  }
  const name = media.filename ?? what;
  switch (message.type) {
    case "image":
    case "sticker":
      return (
        <ImageView
          url={media.url}
          alt={`${what} from ${message.sender.label}`}
          sticker={message.type === "sticker"}
        />
      );
    case "audio":
      return (
        <figure className={classes.figure}>
          <figcaption className={classes.caption}>{what}</figcaption>
          <audio controls preload="metadata" src={media.url} aria-label={what} />
        </figure>
      );
    case "video":
      return (
        <video
          controls
          preload="metadata"
          src={media.url}
          className={classes.thumbnail}
          aria-label={`Video from ${message.sender.label}`}
        />
      );
    default:
      return (
        <a
          href={media.url}
          download={name}
          className={classes.file}
          aria-label={`Download ${name}`}
        >
          <span aria-hidden="true" className={classes.fileIcon}>
            {fileExtension(name)}
          </span>
          <span>
            <span className={classes.fileName}>{name}</span>
            <Text span size="xs" c="dimmed" display="block">
              {[media.size != null ? formatBytes(media.size) : null, media.mime_type]
                .filter(Boolean)
                .join(" · ")}
            </Text>
          </span>
        </a>
      );
  }
}

/** What WhatsApp prints on a document's icon: its extension ("PDF", "DOCX"). */
function fileExtension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 && name.length - dot <= 5 ? name.slice(dot + 1).toUpperCase() : "FILE";
}

/** OpenStreetMap needs no key and opens on any device. */
export function mapLink(latitude: number, longitude: number): string {
  return `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=16/${latitude}/${longitude}`;
}

function LocationView({ location }: { location: Fields }) {
  const latitude = Number(location.latitude);
  const longitude = Number(location.longitude);
  const name = str(location.name);
  const address = str(location.address);
  const known = Number.isFinite(latitude) && Number.isFinite(longitude);
  return (
    <div className={classes.place}>
      <Text size="sm" fw={600}>
        {name ?? "Location"}
      </Text>
      {address && <Text size="xs">{address}</Text>}
      {known ? (
        <Anchor href={mapLink(latitude, longitude)} target="_blank" rel="noreferrer" size="sm">
          Open map ({latitude.toFixed(5)}, {longitude.toFixed(5)})
        </Anchor>
      ) : (
        <Text size="xs" c="dimmed">
          No coordinates given
        </Text>
      )}
    </div>
  );
}

function ContactCard({ contact }: { contact: Fields }) {
  const name = isFields(contact.name) ? contact.name : {};
  const label =
    str(name.formatted_name) ??
    ([str(name.first_name), str(name.last_name)].filter(Boolean).join(" ") || "Contact");
  const phones = Array.isArray(contact.phones) ? contact.phones.filter(isFields) : [];
  const emails = Array.isArray(contact.emails) ? contact.emails.filter(isFields) : [];
  const org = isFields(contact.org) ? str(contact.org.company) : null;
  return (
    <article className={classes.contact} aria-label={`Contact: ${label}`}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      {org && <Text size="xs">{org}</Text>}
      {phones.map((phone, index) => {
        const number = str(phone.phone) ?? str(phone.wa_id);
        return (
          number && (
            <Text size="xs" key={`p${index}`}>
              {str(phone.type) ? `${String(phone.type)}: ` : ""}
              <Anchor href={`tel:${number.replace(/[^\d+]/g, "")}`} size="xs">
                {number}
              </Anchor>
            </Text>
          )
        );
      })}
      {emails.map((email, index) => (
        <Text size="xs" key={`e${index}`}>
          {str(email.email)}
        </Text>
      ))}
    </article>
  );
}

/** The attachment, place or contacts of a message; null for a message that is only text. */
export function Attachment({ message }: { message: Message }) {
  if (message.media) return <MediaView message={message} />;
  const object = typeObject(message);
  if (message.type === "location" && isFields(object)) return <LocationView location={object} />;
  if (message.type === "contacts") {
    const list = Array.isArray(object)
      ? object
      : isFields(object) && Array.isArray(object.contacts)
        ? object.contacts
        : message.direction === "in"
          ? (message.payload as Fields).contacts
          : null;
    if (Array.isArray(list))
      return (
        <div className={classes.contacts}>
          {list.filter(isFields).map((contact, index) => (
            <ContactCard contact={contact} key={index} />
          ))}
        </div>
      );
  }
  return null;
}

/** The message being answered, above the answer (WhatsApp's "reply"). */
export function QuotedMessage({ quoted }: { quoted: Message | null }) {
  const excerpt = quoted
    ? (quoted.text ??
      (quoted.media ? `${quoted.type} (${quoted.media.filename ?? "file"})` : quoted.type))
    : null;
  return (
    <blockquote className={classes.quote} aria-label="Replying to">
      {quoted ? (
        <>
          <Text size="xs" fw={600} span display="block">
            {quoted.sender.label}
          </Text>
          <Text size="xs" lineClamp={2}>
            {excerpt}
          </Text>
        </>
      ) : (
        <Text size="xs" c="dimmed">
          A message not loaded here
        </Text>
      )}
    </blockquote>
  );
}

export type Reaction = { emoji: string; by: string };

export function reactionTarget(message: Message): string | null {
  const object = typeObject(message);
  return isFields(object) ? str(object.message_id) : null;
}

/** Reactions by their target's wamid: each sender's latest counts, and an empty emoji takes
 * theirs away (WhatsApp's unreact). */
export function reactionsByTarget(messages: Message[]): Map<string, Reaction[]> {
  const latest = new Map<string, Map<string, string>>();
  for (const message of messages) {
    if (message.type !== "reaction") continue;
    const object = typeObject(message) as Fields;
    const target = reactionTarget(message);
    if (!target) continue;
    const bySender = latest.get(target) ?? new Map<string, string>();
    bySender.set(message.sender.label, typeof object.emoji === "string" ? object.emoji : "");
    latest.set(target, bySender);
  }
  const result = new Map<string, Reaction[]>();
  for (const [target, bySender] of latest) {
    const shown = [...bySender].filter(([, emoji]) => emoji).map(([by, emoji]) => ({ by, emoji }));
    if (shown.length) result.set(target, shown);
  }
  return result;
}

export function ReactionBadges({ reactions }: { reactions: Reaction[] }) {
  return (
    <div className={classes.reactions}>
      {reactions.map((reaction) => (
        <span
          key={reaction.by}
          className={classes.reaction}
          role="img"
          aria-label={`Reaction ${reaction.emoji} by ${reaction.by}`}
          title={reaction.by}
        >
          {reaction.emoji}
        </span>
      ))}
    </div>
  );
}
