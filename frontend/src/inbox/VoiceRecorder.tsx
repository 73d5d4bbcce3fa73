/** Recording a voice note in the browser: the microphone through MediaRecorder, then the
 * recording as Ogg/Opus, the only form WhatsApp plays as a voice note. */
import { Button, Group, Text } from "@mantine/core";
import { useEffect, useRef, useState } from "react";
import { RemuxError, webmToOgg } from "./oggOpus";

/** WhatsApp's play button shows for voice notes up to 512 KB (CLOUD_API.md §1.5); at
 * Chromium's default ~32 kbit/s that is about two minutes. */
export const MAX_RECORDING_SECONDS = 120;

export type Recording = { file: File; voice: boolean };

function recorderType(): string | undefined {
  for (const type of ["audio/ogg;codecs=opus", "audio/webm;codecs=opus"])
    if (MediaRecorder.isTypeSupported(type)) return type;
  return undefined; // the browser's own (Safari: MP4), sent as plain audio
}

/** The recording as WhatsApp takes it: Ogg/Opus as a voice note; anything else as audio. */
export async function asVoiceNote(blob: Blob, recordedType: string): Promise<Recording> {
  const type = recordedType.split(";")[0]!.trim();
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "");
  if (type === "audio/ogg")
    return { file: new File([blob], `voice-${stamp}.ogg`, { type: "audio/ogg" }), voice: true };
  if (type === "audio/webm") {
    const ogg = webmToOgg(new Uint8Array(await blob.arrayBuffer()));
    return {
      file: new File([ogg as BlobPart], `voice-${stamp}.ogg`, { type: "audio/ogg" }),
      voice: true,
    };
  }
  if (type === "audio/mp4")
    return { file: new File([blob], `voice-${stamp}.m4a`, { type: "audio/mp4" }), voice: false };
  throw new RemuxError(
    `This browser records ${type || "an unknown format"}, which WhatsApp does not play.`,
  );
}

function microphoneProblem(error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError")
    return "The browser was not allowed to use the microphone: allow it for this site and try again.";
  if (name === "NotFoundError") return "No microphone was found.";
  return `The microphone could not be used: ${error instanceof Error ? error.message : String(error)}`;
}

export function VoiceRecorder({
  onRecorded,
  onError,
  disabled,
}: {
  onRecorded: (recording: Recording) => void;
  onError: (problem: string) => void;
  disabled?: boolean;
}) {
  const [seconds, setSeconds] = useState<number | null>(null);
  const recorder = useRef<MediaRecorder | null>(null);
  const discard = useRef(false);
  const supported = typeof MediaRecorder !== "undefined" && !!navigator.mediaDevices;

  // Leaving the conversation mid-recording frees the microphone.
  useEffect(
    () => () => {
      discard.current = true;
      if (recorder.current?.state === "recording") recorder.current.stop();
    },
    [],
  );

  useEffect(() => {
    if (seconds === null) return;
    if (seconds >= MAX_RECORDING_SECONDS) {
      recorder.current?.stop();
      return;
    }
    const timer = setTimeout(() => setSeconds((s) => (s === null ? s : s + 1)), 1000);
    return () => clearTimeout(timer);
  }, [seconds]);

  async function start() {
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      onError(microphoneProblem(error));
      return;
    }
    const type = recorderType();
    const media = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks: Blob[] = [];
    media.ondataavailable = (event) => chunks.push(event.data);
    media.onstop = () => {
      stream.getTracks().forEach((track) => track.stop());
      recorder.current = null;
      setSeconds(null);
      if (discard.current) return;
      asVoiceNote(new Blob(chunks, { type: media.mimeType }), media.mimeType).then(
        onRecorded,
        (error: unknown) =>
          onError(error instanceof Error ? error.message : "The recording could not be read."),
      );
    };
    discard.current = false;
    recorder.current = media;
    media.start();
    setSeconds(0);
  }

  function stop(keep: boolean) {
    discard.current = !keep;
    recorder.current?.stop();
  }

  if (!supported) return null;
  if (seconds === null)
    return (
      <Button variant="default" size="xs" onClick={() => void start()} disabled={disabled}>
        Record voice note
      </Button>
    );
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  return (
    <Group gap="xs">
      <Text size="sm" c="red.8" role="status" aria-live="polite">
        ● Recording {clock}
      </Text>
      <Button size="xs" onClick={() => stop(true)}>
        Stop
      </Button>
      <Button size="xs" variant="subtle" color="gray" onClick={() => stop(false)}>
        Cancel
      </Button>
    </Group>
  );
}
