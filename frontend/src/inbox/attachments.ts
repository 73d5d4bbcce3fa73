/** What the composer may attach, by WhatsApp's own rules (CLOUD_API.md §5), checked before
 * anything is uploaded so a wrong file is refused with a reason at once. The server checks the
 * same limits again (surgiai/channels/validation.py). */
import type { MessageCreate } from "../api/client";
import { formatBytes } from "../lib/format";

export type AttachmentKind = "image" | "document" | "audio" | "video";

const MB = 1024 * 1024;
const DOCUMENT_TYPES = [
  "application/pdf",
  "text/plain",
  "application/msword",
  "application/vnd.ms-excel",
  "application/vnd.ms-powerpoint",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
];
// WhatsApp's limits are in MiB; they are said the way WhatsApp says them ("5 MB").
const RULES: Record<AttachmentKind, { types: string[]; limit: number; label: string }> = {
  image: { types: ["image/jpeg", "image/png"], limit: 5 * MB, label: "Images" },
  document: { types: DOCUMENT_TYPES, limit: 100 * MB, label: "Documents" },
  audio: {
    types: ["audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr"],
    limit: 16 * MB,
    label: "Audio",
  },
  video: { types: ["video/mp4", "video/3gpp"], limit: 16 * MB, label: "Videos" },
};

/** For the file picker's `accept`. */
export const ACCEPTED_TYPES = Object.values(RULES)
  .flatMap((rule) => rule.types)
  .join(",");

const baseType = (type: string) => type.split(";")[0]!.trim().toLowerCase();

export function attachmentKind(type: string): AttachmentKind | null {
  const base = baseType(type);
  for (const [kind, rule] of Object.entries(RULES))
    if (rule.types.includes(base)) return kind as AttachmentKind;
  return null;
}

/** Why WhatsApp would refuse this file, or null when it may be sent. */
export function attachmentProblem(file: {
  name: string;
  type: string;
  size: number;
}): string | null {
  const kind = attachmentKind(file.type);
  if (!kind)
    return `${file.name} cannot be sent on WhatsApp: send a JPEG or PNG image, a PDF or Office document, an audio file or an MP4 video.`;
  if (file.size === 0) return `${file.name} is empty.`;
  const rule = RULES[kind];
  if (file.size > rule.limit)
    return `${file.name} is ${formatBytes(file.size)}: WhatsApp takes ${rule.label.toLowerCase()} up to ${rule.limit / MB} MB.`;
  return null;
}

/** What a template's header file must be, said as the agent would ask for it. */
const HEADER_FILES: Record<HeaderFileKind, string> = {
  image: "a JPEG or PNG image",
  video: "an MP4 video",
  document: "a PDF or Office document",
};

export type HeaderFileKind = Exclude<AttachmentKind, "audio">;

/** The file a template's header needs (`header_format` IMAGE, VIDEO or DOCUMENT); null for a
 * text header or none. */
export function headerFileKind(headerFormat: string | null | undefined): HeaderFileKind | null {
  const kind = (headerFormat ?? "").toLowerCase();
  return kind in HEADER_FILES ? (kind as HeaderFileKind) : null;
}

/** For the header file picker's `accept`. */
export const headerAcceptedTypes = (kind: HeaderFileKind) => RULES[kind].types.join(",");

/** Why this file cannot be a template's header of that kind, or null when it can. */
export function headerFileProblem(
  file: { name: string; type: string; size: number },
  kind: HeaderFileKind,
): string | null {
  if (attachmentKind(file.type) !== kind)
    return `${file.name} cannot be this template's header: it needs ${HEADER_FILES[kind]}.`;
  return attachmentProblem(file);
}

/** The message that sends a stored file; the text typed goes as its caption where WhatsApp
 * allows one (images, documents, videos; never audio). */
export function attachmentMessage(
  kind: AttachmentKind,
  mediaFileId: number,
  { caption, filename, voice }: { caption?: string; filename?: string; voice?: boolean },
): MessageCreate {
  const media: Record<string, unknown> = { media_file_id: mediaFileId };
  if (kind === "audio") {
    if (voice) media.voice = true;
  } else if (caption?.trim()) media.caption = caption;
  if (kind === "document" && filename) media.filename = filename;
  return { type: kind, [kind]: media } as MessageCreate;
}
