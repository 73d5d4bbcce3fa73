import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Message } from "../api/client";
import { renderWithProviders } from "../test/render";
import { attachmentMessage, attachmentProblem } from "./attachments";
import { MessageBubble } from "./MessageBubble";
import { mapLink, reactionsByTarget } from "./MessageContent";
import { VoiceRecorder, type Recording } from "./VoiceRecorder";

function inbound(type: string, body: unknown, overrides: Partial<Message> = {}): Message {
  return {
    id: 1,
    conversation_id: 7,
    number_id: 1,
    wa_id: "919811122233",
    direction: "in",
    wamid: "wamid.in1",
    type,
    text: null,
    payload: { type, [type]: body },
    status: "received",
    created_at: "2025-01-01T10:00:00+00:00",
    timestamp: null,
    sent_at: null,
    delivered_at: null,
    read_at: null,
    played_at: null,
    failed_at: null,
    error_code: null,
    error_title: null,
    error_reason: null,
    sender_kind: "doctor",
    sender_user_id: null,
    sender_agent: null,
    sender: { kind: "doctor", label: "Doctor", agent: null, user_id: null, user_name: null },
    html: null,
    context_wamid: null,
    media_file_id: null,
    media: null,
    attempts: 0,
    next_attempt_at: null,
    ...overrides,
  };
}

const bubble = (message: Message) =>
  renderWithProviders(
    <ol>
      <MessageBubble message={message} />
    </ol>,
  );

describe("message content", () => {
  it("offers a document as a named download with its size", () => {
    bubble(
      inbound(
        "document",
        { filename: "OT list.pdf" },
        {
          media: {
            state: "ready",
            url: "/api/v1/media/4",
            mime_type: "application/pdf",
            size: 48_213,
            filename: "OT list.pdf",
          },
        },
      ),
    );
    const link = screen.getByRole("link", { name: "Download OT list.pdf" });
    expect(link).toHaveAttribute("href", "/api/v1/media/4");
    expect(link).toHaveAttribute("download", "OT list.pdf");
    expect(link).toHaveTextContent("48 KB");
  });

  it("says why a file could not be downloaded instead of a broken image", () => {
    bubble(
      inbound(
        "image",
        { id: "9" },
        {
          media: { state: "failed", error: "The media expired (WhatsApp error 131052)" },
        },
      ),
    );
    expect(screen.getByRole("note", { name: "Media could not be downloaded" })).toHaveTextContent(
      "Image: media could not be downloaded. The media expired (WhatsApp error 131052)",
    );
    expect(screen.queryByRole("img")).not.toBeInTheDocument();
  });

  it("shows a location on a map and a shared contact as a card", () => {
    bubble(
      inbound("location", {
        latitude: 19.076,
        longitude: 72.8777,
        name: "Lilavati Hospital",
        address: "Bandra West, Mumbai",
      }),
    );
    expect(screen.getByRole("link", { name: /Open map/ })).toHaveAttribute(
      "href",
      mapLink(19.076, 72.8777),
    );
    expect(screen.getByText("Bandra West, Mumbai")).toBeInTheDocument();
  });

  it("keeps each sender's latest reaction and drops one taken back", () => {
    const react = (id: number, emoji: string, label = "Doctor") =>
      inbound(
        "reaction",
        { message_id: "wamid.out1", emoji },
        {
          id,
          sender: { kind: "doctor", label, agent: null, user_id: null, user_name: null },
        },
      );
    expect(reactionsByTarget([react(1, "👍"), react(2, "🙏")]).get("wamid.out1")).toEqual([
      { by: "Doctor", emoji: "🙏" },
    ]);
    expect(reactionsByTarget([react(1, "👍"), react(2, "")]).has("wamid.out1")).toBe(false);
  });
});

describe("attachments", () => {
  it("refuses what WhatsApp would refuse, with the reason", () => {
    expect(
      attachmentProblem({ name: "x.exe", type: "application/x-msdownload", size: 10 }),
    ).toMatch(/cannot be sent on WhatsApp/);
    expect(attachmentProblem({ name: "scan.png", type: "image/png", size: 6 * 1024 * 1024 })).toBe(
      "scan.png is 6.3 MB: WhatsApp takes images up to 5 MB.",
    );
    expect(attachmentProblem({ name: "a.pdf", type: "application/pdf", size: 2000 })).toBeNull();
  });

  it("sends the typed text as a caption, except with audio", () => {
    expect(attachmentMessage("image", 3, { caption: "X-ray" })).toEqual({
      type: "image",
      image: { media_file_id: 3, caption: "X-ray" },
    });
    expect(attachmentMessage("audio", 4, { caption: "ignored", voice: true })).toEqual({
      type: "audio",
      audio: { media_file_id: 4, voice: true },
    });
  });
});

/** A microphone and recorder as a browser gives them, producing Ogg (as Firefox does). */
class FakeRecorder {
  static isTypeSupported = (type: string) => type.startsWith("audio/ogg");
  state = "inactive";
  mimeType = "audio/ogg;codecs=opus";
  ondataavailable: ((event: { data: Blob }) => void) | null = null;
  onstop: (() => void) | null = null;
  start() {
    this.state = "recording";
  }
  stop() {
    this.state = "inactive";
    this.ondataavailable?.({ data: new Blob(["OggS-voice"], { type: this.mimeType }) });
    this.onstop?.();
  }
}

describe("VoiceRecorder", () => {
  const stopTrack = vi.fn();
  afterEach(() => {
    vi.unstubAllGlobals();
    Reflect.deleteProperty(navigator, "mediaDevices");
  });

  function microphone(getUserMedia: () => Promise<unknown>) {
    vi.stubGlobal("MediaRecorder", FakeRecorder);
    Object.defineProperty(navigator, "mediaDevices", {
      configurable: true,
      value: { getUserMedia },
    });
  }

  it("records, then hands over an Ogg voice note and frees the microphone", async () => {
    microphone(() => Promise.resolve({ getTracks: () => [{ stop: stopTrack }] }));
    const recorded = vi.fn<(recording: Recording) => void>();
    const user = userEvent.setup();
    renderWithProviders(<VoiceRecorder onRecorded={recorded} onError={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: /Record voice note/ }));
    expect(screen.getByRole("status")).toHaveTextContent("Recording 0:00");
    await user.click(screen.getByRole("button", { name: "Stop" }));
    await waitFor(() => expect(recorded).toHaveBeenCalledOnce());
    const { file, voice } = recorded.mock.calls[0]![0];
    expect([file.type, voice, file.name.endsWith(".ogg")]).toEqual(["audio/ogg", true, true]);
    expect(stopTrack).toHaveBeenCalled();
  });

  it("discards a cancelled recording", async () => {
    microphone(() => Promise.resolve({ getTracks: () => [{ stop: stopTrack }] }));
    const recorded = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<VoiceRecorder onRecorded={recorded} onError={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: /Record voice note/ }));
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.getByRole("button", { name: /Record voice note/ })).toBeInTheDocument();
    expect(recorded).not.toHaveBeenCalled();
  });

  it("explains a microphone the browser may not use", async () => {
    microphone(() => Promise.reject(new DOMException("denied", "NotAllowedError")));
    const problem = vi.fn();
    const user = userEvent.setup();
    renderWithProviders(<VoiceRecorder onRecorded={vi.fn()} onError={problem} />);
    await user.click(screen.getByRole("button", { name: /Record voice note/ }));
    await waitFor(() => expect(problem).toHaveBeenCalledWith(expect.stringMatching(/allow it/)));
  });
});
