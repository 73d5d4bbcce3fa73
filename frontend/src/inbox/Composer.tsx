/** Writing to a doctor: free text inside the 24 h window, an approved template outside it.
 * The keyboard sends in one stroke (Enter, or Ctrl+Enter as each person prefers) after the same
 * checks as the preview, whose problems it shows in place; "Preview and send" shows exactly
 * what WhatsApp will get first. */
import {
  Alert,
  Button,
  CloseButton,
  FileButton,
  Group,
  List,
  Modal,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
  Textarea,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import {
  errorDetail,
  type Conversation,
  type Message,
  type MessageCreate,
  type Preview,
  type Template,
} from "../api/client";
import { formatBytes, formatDateTime, formatPhone, formatRecipient } from "../lib/format";
import { WhatsAppText } from "../lib/whatsapp";
import { applyEvent } from "../realtime/events";
import classes from "./InboxPage.module.css";
import {
  ACCEPTED_TYPES,
  attachmentKind,
  attachmentMessage,
  attachmentProblem,
  headerAcceptedTypes,
  headerFileKind,
  headerFileProblem,
  type AttachmentKind,
  type HeaderFileKind,
} from "./attachments";
import { sendTyping, usePreview, useSend, useTemplates, useUploadMedia } from "./queries";
import { SEND_KEY_LABELS, isSendKeystroke, useSendKey, type SendKey } from "./sendKey";
import { VoiceRecorder, type Recording } from "./VoiceRecorder";

export const TYPING_EVERY_MS = 5_000;

/** A stored file sent as a template's header (a document goes with its name). */
export type HeaderFile = { kind: HeaderFileKind; mediaFileId: number; filename?: string };

/** The send payload's components for a template, the values typed for its variables and the
 * file its header needs, if any. */
export function templateMessage(
  template: Pick<Template, "name" | "language" | "parameter_format" | "variables">,
  values: Record<string, string>,
  header?: HeaderFile,
): MessageCreate {
  const named = template.parameter_format.toUpperCase() === "NAMED";
  const components = Object.entries(template.variables).map(([key, names]) => {
    const parameters = names.map((name) => ({
      type: "text",
      ...(named ? { parameter_name: name } : {}),
      text: values[`${key}.${name}`] ?? "",
    }));
    if (key.startsWith("button:"))
      return { type: "button", sub_type: "url", index: key.slice(7), parameters };
    return { type: key, parameters };
  });
  const headerComponents: Record<string, unknown>[] = [];
  if (header) {
    const media: Record<string, unknown> = { media_file_id: header.mediaFileId };
    if (header.kind === "document" && header.filename) media.filename = header.filename;
    headerComponents.push({
      type: "header",
      parameters: [{ type: header.kind, [header.kind]: media }],
    });
  }
  return {
    type: "template",
    template: {
      name: template.name,
      language: { code: template.language },
      components: [...headerComponents, ...components],
    },
  };
}

function variableLabel(key: string, name: string): string {
  const part = key.startsWith("button:") ? `Button ${Number(key.slice(7)) + 1}` : key;
  return `${part.charAt(0).toUpperCase()}${part.slice(1)} {{${name}}}`;
}

/** A file chosen or recorded, with a local URL to look at or listen to before sending. */
type Attached = { file: File; kind: AttachmentKind; voice: boolean; url: string };

function AttachmentPreview({ attached }: { attached: Attached }) {
  const label = attached.voice ? "Voice note" : attached.file.name;
  if (attached.kind === "image")
    return <img src={attached.url} alt={label} className={classes.thumbnail} />;
  if (attached.kind === "audio")
    return <audio controls src={attached.url} aria-label={`Listen: ${label}`} />;
  if (attached.kind === "video")
    return <video controls src={attached.url} className={classes.thumbnail} aria-label={label} />;
  return (
    <Text size="sm">
      📄 {attached.file.name} · {formatBytes(attached.file.size)}
    </Text>
  );
}

function PreviewDialog({
  preview,
  attached,
  onClose,
  onSend,
  sending,
  error,
}: {
  preview: Preview | null;
  attached: Attached | null;
  onClose: () => void;
  onSend: () => void;
  sending: boolean;
  error: unknown;
}) {
  return (
    <Modal opened={preview !== null} onClose={onClose} title="Preview before sending" size="lg">
      {preview && (
        <Stack gap="sm">
          <Text size="sm">
            To {formatRecipient(preview.to, preview.recipient)} from{" "}
            {preview.number
              ? `${preview.number.label} (${formatPhone(preview.number.display_phone_number)})`
              : "no number"}
          </Text>
          <Text size="sm" c={preview.window_open ? undefined : "orange.9"}>
            {preview.window_open
              ? `24 h window open until ${formatDateTime(preview.window_closes_at)}.`
              : "24 h window closed: only an approved template can be sent."}
          </Text>
          {attached && <AttachmentPreview attached={attached} />}
          {preview.rendered.header && (
            <Text size="sm" fw={700}>
              {preview.rendered.header}
            </Text>
          )}
          <div className={classes.rendered} aria-label="What the doctor will see">
            {/* The server renders `html` only for text that carries WhatsApp formatting. */}
            {preview.rendered.html && preview.rendered.text ? (
              <WhatsAppText text={preview.rendered.text} />
            ) : (
              (preview.rendered.text ?? `A ${preview.rendered.type} message`)
            )}
          </div>
          {preview.rendered.footer && (
            <Text size="xs" c="dimmed">
              {preview.rendered.footer}
            </Text>
          )}
          {preview.lengths.length > 0 && (
            <Text size="xs" c="dimmed">
              {preview.lengths
                .map((check) => `${check.field}: ${check.characters} / ${check.limit} characters`)
                .join(" · ")}
            </Text>
          )}
          {preview.problems.length > 0 && (
            <Alert color="red" title="This message cannot be sent" role="alert">
              <List size="sm">
                {preview.problems.map((problem) => (
                  <List.Item key={problem.error + problem.detail}>{problem.detail}</List.Item>
                ))}
              </List>
            </Alert>
          )}
          {error !== null && error !== undefined && (
            <Alert color="red" title="Not sent" role="alert">
              {errorDetail(error)}
            </Alert>
          )}
          {/* Focus on Send, not on the close button: Enter then sends rather than cancels.
              (Mantine focuses any element with the attribute, whatever its value.) */}
          <Group justify="flex-end">
            <Button
              variant="default"
              onClick={onClose}
              data-autofocus={preview.can_send ? undefined : true}
            >
              Keep editing
            </Button>
            <Button
              onClick={onSend}
              loading={sending}
              disabled={!preview.can_send}
              data-autofocus={preview.can_send ? true : undefined}
            >
              Send
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function TemplateFields({
  conversation,
  template,
  setTemplate,
  values,
  setValues,
  headerFile,
  setHeaderFile,
}: {
  conversation: Conversation;
  template: Template | null;
  setTemplate: (template: Template | null) => void;
  values: Record<string, string>;
  setValues: (values: Record<string, string>) => void;
  headerFile: Attached | null;
  setHeaderFile: (file: File | null) => void;
}) {
  const templates = useTemplates(conversation.number.id, true);
  const items = templates.data?.items ?? [];
  const headerKind = headerFileKind(template?.header_format);
  const resetHeaderPicker = useRef<() => void>(null);
  return (
    <Stack gap={6}>
      <Text size="sm" c="orange.9">
        The 24 h window is closed: WhatsApp only accepts an approved template until the doctor
        writes again.
      </Text>
      <Select
        label="Template"
        placeholder={templates.isPending ? "Loading templates…" : "Choose a template"}
        data={items.map((t) => ({ value: String(t.id), label: `${t.name} (${t.language})` }))}
        value={template ? String(template.id) : null}
        onChange={(value) => {
          setTemplate(items.find((t) => String(t.id) === value) ?? null);
          setValues({});
        }}
        error={templates.isError ? errorDetail(templates.error) : undefined}
        nothingFoundMessage="No approved template for this number"
        searchable
      />
      {templates.isSuccess && items.length === 0 && (
        <Text size="xs" c="dimmed">
          This number has no approved template. Create one in WhatsApp Manager, then wait for the
          hourly sync.
        </Text>
      )}
      {template && headerKind && (
        <Group className={classes.attached} gap="xs" aria-label="Header file" role="group">
          {headerFile ? (
            <>
              <AttachmentPreview attached={headerFile} />
              <Text size="xs" c="dimmed">
                {/* A document's preview already says its name and size. */}
                {headerFile.kind === "document"
                  ? ""
                  : `${headerFile.file.name} · ${formatBytes(headerFile.file.size)} · `}
                sent as the template&apos;s header
              </Text>
              <CloseButton
                size="sm"
                aria-label="Remove header file"
                onClick={() => setHeaderFile(null)}
              />
            </>
          ) : (
            <>
              <FileButton
                onChange={(file) => {
                  resetHeaderPicker.current?.();
                  setHeaderFile(file);
                }}
                accept={headerAcceptedTypes(headerKind)}
                resetRef={resetHeaderPicker}
              >
                {(props) => (
                  <Button variant="default" size="xs" {...props}>
                    Attach the header {headerKind}
                  </Button>
                )}
              </FileButton>
              <Text size="xs" c="dimmed">
                {template.name} needs {headerKind === "image" ? "an" : "a"} {headerKind} for its
                header.
              </Text>
            </>
          )}
        </Group>
      )}
      {template?.body_text && (
        <Text size="xs" c="dimmed" style={{ whiteSpace: "pre-wrap" }}>
          {template.body_text}
        </Text>
      )}
      {template &&
        Object.entries(template.variables).flatMap(([key, names]) =>
          names.map((name) => (
            <TextInput
              key={`${key}.${name}`}
              size="xs"
              label={variableLabel(key, name)}
              required
              value={values[`${key}.${name}`] ?? ""}
              onChange={(event) =>
                setValues({ ...values, [`${key}.${name}`]: event.currentTarget.value })
              }
            />
          )),
        )}
    </Stack>
  );
}

export function Composer({ conversation }: { conversation: Conversation }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const [template, setTemplate] = useState<Template | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<Preview | null>(null);
  const [body, setBody] = useState<MessageCreate | null>(null);
  // What stopped a keyboard send, said under the message instead of in a dialog.
  const [problems, setProblems] = useState<string[]>([]);
  const [sendKey, setSendKey] = useSendKey();
  const lastTyping = useRef(0);
  const previewing = usePreview(conversation.id);
  const send = useSend(conversation.id);
  const upload = useUploadMedia();
  const [attached, setAttached] = useState<Attached | null>(null);
  // The file a template's media header needs (the brochure PDF of a document header).
  const [headerFile, setHeaderFile] = useState<Attached | null>(null);
  const [attachError, setAttachError] = useState<string | null>(null);
  // Lets the same file be picked again after it was removed.
  const resetPicker = useRef<() => void>(null);
  const needsTemplate = !conversation.window_open;
  const headerKind = needsTemplate ? headerFileKind(template?.header_format) : null;

  // The local URL lives as long as its attachment.
  useEffect(() => (attached ? () => URL.revokeObjectURL(attached.url) : undefined), [attached]);
  useEffect(
    () => (headerFile ? () => URL.revokeObjectURL(headerFile.url) : undefined),
    [headerFile],
  );

  function attach(file: File | null, voice = false) {
    resetPicker.current?.();
    if (!file) return;
    const problem = attachmentProblem(file);
    const kind = attachmentKind(file.type);
    setAttachError(problem);
    if (problem || !kind) return;
    setAttached({ file, kind, voice, url: URL.createObjectURL(file) });
  }

  function chooseTemplate(chosen: Template | null) {
    setTemplate(chosen);
    setHeaderFile(null);
    setAttachError(null);
  }

  function attachHeader(file: File | null) {
    if (!file || !headerKind) {
      setHeaderFile(null);
      return;
    }
    const problem = headerFileProblem(file, headerKind);
    setAttachError(problem);
    if (problem) return;
    setHeaderFile({ file, kind: headerKind, voice: false, url: URL.createObjectURL(file) });
  }

  function typed(value: string) {
    setText(value);
    setProblems([]);
    const now = Date.now();
    if (value.trim() && now - lastTyping.current >= TYPING_EVERY_MS) {
      lastTyping.current = now;
      // Only a hint for the others: a failure here is not worth a word.
      sendTyping(conversation.id).catch(() => undefined);
    }
  }

  const noPreview = (error: unknown) =>
    notifications.show({ color: "red", title: "No preview", message: errorDetail(error) });

  function showPreview(message: MessageCreate) {
    setBody(message);
    send.reset();
    previewing.mutate(message, { onSuccess: setPreview, onError: noPreview });
  }

  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (needsTemplate && template && headerKind && headerFile) {
      // The header's file is kept first, as an attachment is: the preview checks the send.
      upload.mutate(headerFile.file, {
        onSuccess: (stored) =>
          showPreview(
            templateMessage(template, values, {
              kind: headerKind,
              mediaFileId: stored.id,
              filename: headerFile.file.name,
            }),
          ),
        onError: noPreview,
      });
      return;
    }
    if (!needsTemplate && attached) {
      // The file is kept first: the preview checks it as WhatsApp will.
      upload.mutate(attached.file, {
        onSuccess: (stored) =>
          showPreview(
            attachmentMessage(attached.kind, stored.id, {
              caption: text,
              filename: attached.file.name,
              voice: attached.voice,
            }),
          ),
        onError: noPreview,
      });
      return;
    }
    const message: MessageCreate | null = needsTemplate
      ? template && templateMessage(template, values)
      : text.trim()
        ? { type: "text", text: { body: text } }
        : null;
    if (!message) return;
    showPreview(message);
  }

  function sent(message: unknown) {
    // Sent, not previewed: the answer is the message.
    applyEvent(queryClient, { type: "message.created", data: message as Message });
    setPreview(null);
    setProblems([]);
    // Audio carries no caption: the text typed waits for its own message.
    const keepText = attached?.kind === "audio";
    setAttached(null);
    if (!keepText) setText("");
    setValues({});
    setTemplate(null);
    setHeaderFile(null);
  }

  function confirm() {
    if (!body) return;
    send.mutate(body, { onSuccess: sent });
  }

  /** The keyboard's send: the preview's checks, then the send, without a dialog. A file goes
   * through the preview: it is uploaded first and shown as the doctor will get it. */
  function sendNow() {
    if (previewing.isPending || send.isPending || upload.isPending) return;
    if (attached) {
      submit();
      return;
    }
    if (!text.trim()) {
      setProblems(["Write a message first."]);
      return;
    }
    const message: MessageCreate = { type: "text", text: { body: text } };
    setProblems([]);
    send.reset();
    previewing.mutate(message, {
      onSuccess: (checked) => {
        if (!checked.can_send) {
          setProblems(checked.problems.map((problem) => problem.detail));
          return;
        }
        send.mutate(message, {
          onSuccess: sent,
          onError: (error) => setProblems([errorDetail(error)]),
        });
      },
      onError: (error) => setProblems([errorDetail(error)]),
    });
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (!isSendKeystroke(event, sendKey)) return;
    event.preventDefault();
    sendNow();
  }

  return (
    <form className={classes.composer} onSubmit={submit} aria-label="Reply">
      {needsTemplate ? (
        <TemplateFields
          conversation={conversation}
          template={template}
          setTemplate={chooseTemplate}
          values={values}
          setValues={setValues}
          headerFile={headerFile}
          setHeaderFile={attachHeader}
        />
      ) : (
        <Textarea
          label="Message"
          placeholder={`Write to ${conversation.doctor.display_name}`}
          description={`*bold*  _italic_  ~strike~  \`\`\`monospace\`\`\`  ·  ${SEND_KEY_LABELS[sendKey].hint}`}
          autosize
          minRows={2}
          maxRows={6}
          value={text}
          onChange={(event) => typed(event.currentTarget.value)}
          onKeyDown={onKeyDown}
          aria-describedby={problems.length > 0 ? "composer-problems" : undefined}
        />
      )}
      {!needsTemplate && attached && (
        <Group className={classes.attached} gap="xs" mt={6} aria-label="Attachment" role="group">
          <AttachmentPreview attached={attached} />
          <Text size="xs" c="dimmed">
            {attached.voice ? "Voice note" : attached.file.name} · {formatBytes(attached.file.size)}
            {attached.kind === "audio"
              ? " · sent without text"
              : text.trim()
                ? " · the message goes as its caption"
                : ""}
          </Text>
          <CloseButton
            size="sm"
            aria-label={attached.voice ? "Discard voice note" : "Remove attachment"}
            onClick={() => setAttached(null)}
          />
        </Group>
      )}
      {attachError && (
        <Text size="sm" c="red.8" role="alert" mt={6}>
          {attachError}
        </Text>
      )}
      {problems.length > 0 && !needsTemplate && (
        <Alert id="composer-problems" color="red" title="Not sent" role="alert" mt={6} p="xs">
          <List size="sm">
            {problems.map((problem) => (
              <List.Item key={problem}>{problem}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Group justify={needsTemplate ? "flex-end" : "space-between"} mt={6} wrap="wrap" gap="xs">
        {!needsTemplate && (
          <Group gap="xs">
            <FileButton
              onChange={(file) => attach(file)}
              accept={ACCEPTED_TYPES}
              resetRef={resetPicker}
            >
              {(props) => (
                <Button variant="default" size="xs" {...props}>
                  Attach file
                </Button>
              )}
            </FileButton>
            <VoiceRecorder
              onRecorded={(recording: Recording) => attach(recording.file, recording.voice)}
              onError={setAttachError}
            />
          </Group>
        )}
        {!needsTemplate && (
          <SegmentedControl
            size="xs"
            aria-label="Keyboard sending"
            value={sendKey}
            onChange={(value) => setSendKey(value as SendKey)}
            data={Object.entries(SEND_KEY_LABELS).map(([value, { label }]) => ({
              value,
              label,
            }))}
          />
        )}
        <Button
          type="submit"
          loading={previewing.isPending || upload.isPending}
          disabled={
            needsTemplate
              ? !template || (headerKind !== null && !headerFile)
              : !text.trim() && !attached
          }
        >
          Preview and send
        </Button>
      </Group>
      <PreviewDialog
        preview={preview}
        attached={needsTemplate ? headerFile : attached}
        onClose={() => setPreview(null)}
        onSend={confirm}
        sending={send.isPending}
        error={send.error}
      />
    </form>
  );
}
