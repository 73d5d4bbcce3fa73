import { describe, expect, it } from "vitest";
import { RemuxError, oggCrc, opusSamples, webmToOgg } from "./oggOpus";

const UNKNOWN_SIZE = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function element(id: number[], body: number[] | Uint8Array, size?: number[]): number[] {
  const bytes = [...body];
  return [...id, ...(size ?? [0x80 | bytes.length]), ...bytes];
}

const OPUS_HEAD = [
  ...new TextEncoder().encode("OpusHead"),
  1,
  1,
  0x38,
  0x01,
  0x80,
  0xbb,
  0,
  0,
  0,
  0,
  0,
];
// TOC 0xfc: CELT fullband, 20 ms, one frame: 960 samples at 48 kHz.
const packet = (n: number) => [0xfc, n, n + 1, n + 2];

/** What Chromium's MediaRecorder writes: a live segment and cluster, of unknown size. */
function chromiumWebm(packets: number[][]): Uint8Array {
  const header = element(
    [0x1a, 0x45, 0xdf, 0xa3],
    element(
      [0x42, 0x82],
      [..."webm"].map((c) => c.charCodeAt(0)),
    ),
  );
  const track = element(
    [0xae],
    [
      ...element([0xd7], [1]),
      ...element(
        [0x86],
        [..."A_OPUS"].map((c) => c.charCodeAt(0)),
      ),
      ...element([0x63, 0xa2], OPUS_HEAD),
    ],
  );
  const tracks = element([0x16, 0x54, 0xae, 0x6b], track);
  const blocks = packets.flatMap((p, i) => element([0xa3], [0x81, 0, i, 0x80, ...p]));
  const cluster = [0x1f, 0x43, 0xb6, 0x75, ...UNKNOWN_SIZE, ...element([0xe7], [0]), ...blocks];
  const segment = [0x18, 0x53, 0x80, 0x67, ...UNKNOWN_SIZE, ...tracks, ...cluster];
  return new Uint8Array([...header, ...segment]);
}

type Page = {
  flags: number;
  granule: number;
  sequence: number;
  body: Uint8Array;
  crcMatches: boolean;
};

function readPages(ogg: Uint8Array): Page[] {
  const pages: Page[] = [];
  const view = new DataView(ogg.buffer, ogg.byteOffset);
  let at = 0;
  while (at < ogg.length) {
    expect(new TextDecoder().decode(ogg.subarray(at, at + 4))).toBe("OggS");
    const count = ogg[at + 26]!;
    const segments = [...ogg.subarray(at + 27, at + 27 + count)];
    const length = segments.reduce((a, b) => a + b, 0);
    const body = ogg.subarray(at + 27 + count, at + 27 + count + length);
    const page = ogg.slice(at, at + 27 + count + length);
    const crc = new DataView(page.buffer).getUint32(22, true);
    page.fill(0, 22, 26);
    pages.push({
      flags: ogg[at + 5]!,
      granule: view.getUint32(at + 6, true),
      sequence: view.getUint32(at + 18, true),
      body,
      crcMatches: oggCrc(page) === crc,
    });
    at += 27 + count + length;
  }
  return pages;
}

describe("webmToOgg", () => {
  it("moves every Opus packet into Ogg pages with the right sample positions", () => {
    const packets = Array.from({ length: 120 }, (_, i) => packet(i));
    const pages = readPages(webmToOgg(chromiumWebm(packets)));
    expect(new TextDecoder().decode(pages[0]!.body.subarray(0, 8))).toBe("OpusHead");
    expect(pages[0]!.flags).toBe(0x02);
    expect(new TextDecoder().decode(pages[1]!.body.subarray(0, 8))).toBe("OpusTags");
    const audio = pages.slice(2);
    expect(audio.map((page) => page.granule)).toEqual([50 * 960, 100 * 960, 120 * 960]);
    expect(audio.at(-1)!.flags).toBe(0x04);
    expect(pages.map((page) => page.sequence)).toEqual([0, 1, 2, 3, 4]);
    const bodies = audio.flatMap((page) => [...page.body]);
    expect(bodies).toEqual(packets.flat());
  });

  it("refuses what is not an Opus recording", () => {
    expect(() => webmToOgg(new Uint8Array([0, 1, 2]))).toThrow(RemuxError);
    expect(() => webmToOgg(chromiumWebm([]))).toThrow("empty");
  });
});

describe("opusSamples", () => {
  it("reads the frame size and count from the TOC byte", () => {
    expect(opusSamples(new Uint8Array([0xfc]))).toBe(960); // CELT 20 ms
    expect(opusSamples(new Uint8Array([0x08 | 0x01]))).toBe(1920); // SILK 20 ms, two frames
    expect(opusSamples(new Uint8Array([0x1b, 0x03]))).toBe(3 * 2880); // SILK 60 ms ×3
  });
});

describe("oggCrc", () => {
  it("is CRC-32 with polynomial 0x04c11db7, no reflection, no final xor (as Ogg defines)", () => {
    expect(oggCrc(new TextEncoder().encode("123456789"))).toBe(0x89a1897f);
  });

  it("checks out on every page written", () => {
    const ogg = webmToOgg(chromiumWebm([packet(1), packet(2)]));
    for (const page of readPages(ogg)) expect(page.crcMatches).toBe(true);
  });
});
