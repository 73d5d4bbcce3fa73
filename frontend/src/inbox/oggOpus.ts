/** WebM (Opus) → Ogg (Opus), without re-encoding. Chromium's MediaRecorder only writes WebM,
 * while WhatsApp plays a voice note only from Ogg/Opus (CLOUD_API.md §1.5): the Opus packets
 * are the same, only the container differs. RFC 7845 describes the Ogg side. */

const EBML = {
  segment: 0x18538067,
  cluster: 0x1f43b675,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  blockGroup: 0xa0,
  codecId: 0x86,
  codecPrivate: 0x63a2,
  simpleBlock: 0xa3,
  block: 0xa1,
};
// Elements whose children we read; everything else is skipped by its size.
const CONTAINERS = new Set([
  EBML.segment,
  EBML.cluster,
  EBML.tracks,
  EBML.trackEntry,
  EBML.blockGroup,
]);

export class RemuxError extends Error {}

type Vint = { value: number; length: number; unknown: boolean };

function readVint(bytes: Uint8Array, at: number, keepMarker: boolean): Vint {
  const first = bytes[at];
  if (first === undefined || first === 0) throw new RemuxError("Not a WebM recording.");
  const length = Math.clz32(first) - 23; // 1…8: leading zeros within the byte, plus one
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = bytes[at + i];
    if (byte === undefined) throw new RemuxError("The recording is cut short.");
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

/** The Opus header and the packets of the recording's first (only) track. */
export function opusPacketsFromWebm(bytes: Uint8Array): {
  head: Uint8Array;
  packets: Uint8Array[];
} {
  let head: Uint8Array | null = null;
  let codec = "";
  const packets: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const id = readVint(bytes, at, true);
    const size = readVint(bytes, at + id.length, false);
    const start = at + id.length + size.length;
    if (CONTAINERS.has(id.value)) {
      at = start; // step inside (live recordings give segments and clusters no size)
      continue;
    }
    if (size.unknown) throw new RemuxError("The recording has an element of unknown size.");
    const end = start + size.value;
    const data = bytes.subarray(start, Math.min(end, bytes.length));
    if (id.value === EBML.codecId) codec = new TextDecoder().decode(data);
    else if (id.value === EBML.codecPrivate) head = data;
    else if (id.value === EBML.simpleBlock || id.value === EBML.block) {
      const track = readVint(data, 0, false);
      const flags = data[track.length + 2] ?? 0;
      if (flags & 0x06) throw new RemuxError("Laced WebM blocks are not supported.");
      packets.push(data.subarray(track.length + 3));
    }
    at = end;
  }
  if (codec && codec !== "A_OPUS") throw new RemuxError(`The recording is ${codec}, not Opus.`);
  if (!head) throw new RemuxError("The recording has no Opus header.");
  return { head, packets };
}

/** Samples (at 48 kHz) in one Opus packet, from its table-of-contents byte (RFC 6716 §3.1). */
export function opusSamples(packet: Uint8Array): number {
  const toc = packet[0] ?? 0;
  const config = toc >> 3;
  let frame: number;
  if (config < 12) frame = [480, 960, 1920, 2880][config % 4]!;
  else if (config < 16) frame = config % 2 === 0 ? 480 : 960;
  else frame = [120, 240, 480, 960][config % 4]!;
  const code = toc & 0x03;
  const frames = code === 0 ? 1 : code === 3 ? (packet[1] ?? 0) & 0x3f : 2;
  return frame * frames;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    table[i] = crc >>> 0;
  }
  return table;
})();

export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

function oggPage(
  packets: Uint8Array[],
  {
    granule,
    serial,
    sequence,
    flags,
  }: { granule: number; serial: number; sequence: number; flags: number },
): Uint8Array {
  const lacing: number[] = [];
  for (const packet of packets) {
    for (let left = packet.length; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
  }
  const bodyLength = packets.reduce((sum, packet) => sum + packet.length, 0);
  const page = new Uint8Array(27 + lacing.length + bodyLength);
  const view = new DataView(page.buffer);
  page.set([0x4f, 0x67, 0x67, 0x53]); // "OggS", version 0
  page[5] = flags;
  view.setUint32(6, granule % 2 ** 32, true);
  view.setUint32(10, Math.floor(granule / 2 ** 32), true);
  view.setUint32(14, serial, true);
  view.setUint32(18, sequence, true);
  page[26] = lacing.length;
  page.set(lacing, 27);
  let at = 27 + lacing.length;
  for (const packet of packets) {
    page.set(packet, at);
    at += packet.length;
  }
  view.setUint32(22, oggCrc(page), true);
  return page;
}

const OPUS_TAGS = (() => {
  const vendor = new TextEncoder().encode("SurgiAI");
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  tags.set(new TextEncoder().encode("OpusTags"));
  new DataView(tags.buffer).setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  return tags; // no user comments
})();

/** Ogg pages hold at most 255 lacing values; about a second of 20 ms packets per page. */
const PACKETS_PER_PAGE = 50;

export function webmToOgg(webm: Uint8Array, serial = 0x5a17a1): Uint8Array {
  const { head, packets } = opusPacketsFromWebm(webm);
  if (packets.length === 0) throw new RemuxError("The recording is empty.");
  const pages: Uint8Array[] = [
    oggPage([head], { granule: 0, serial, sequence: 0, flags: 0x02 }),
    oggPage([OPUS_TAGS], { granule: 0, serial, sequence: 1, flags: 0 }),
  ];
  let granule = 0;
  for (let i = 0; i < packets.length; i += PACKETS_PER_PAGE) {
    const chunk = packets.slice(i, i + PACKETS_PER_PAGE);
    granule += chunk.reduce((sum, packet) => sum + opusSamples(packet), 0);
    const last = i + PACKETS_PER_PAGE >= packets.length;
    pages.push(oggPage(chunk, { granule, serial, sequence: pages.length, flags: last ? 4 : 0 }));
  }
  const out = new Uint8Array(pages.reduce((sum, page) => sum + page.length, 0));
  let at = 0;
  for (const page of pages) {
    out.set(page, at);
    at += page.length;
  }
  return out;
}
