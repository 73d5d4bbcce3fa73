import type { Template } from "../api/client";
import {
  NEW_DRAFT,
  evenShares,
  mappingsFor,
  messageProblems,
  newVariant,
  previewTemplate,
  scheduleProblems,
  shareProblem,
  templateVariables,
  toCampaignCreate,
  unknownTextFields,
  type CampaignDraft,
} from "./draft";

function aTemplate(overrides: Partial<Template> = {}): Template {
  return {
    id: 7,
    waba_id: "900000000000001",
    template_id: "1",
    name: "cme_invite",
    language: "en",
    status: "APPROVED",
    sendable: true,
    category: "MARKETING",
    parameter_format: "POSITIONAL",
    quality: null,
    rejected_reason: null,
    components: [],
    header_format: "TEXT",
    header_text: "CME in {{1}}",
    body_text: "Hello {{1}}, the {{2}} course starts soon.",
    footer_text: "SurgiAI",
    button_texts: ["Register"],
    variables: { "button:0": ["1"], body: ["1", "2"], header: ["1"] },
    synced_at: "2026-12-01T10:00:00+00:00",
    updated_at: "2026-12-01T10:00:00+00:00",
    ...overrides,
  };
}

const template = aTemplate();
const lookup = (id: number) => (id === template.id ? template : undefined);

function aDraft(overrides: Partial<CampaignDraft> = {}): CampaignDraft {
  return {
    ...NEW_DRAFT,
    name: "  Laparoscopy CME  ",
    segmentId: 3,
    variants: [{ ...newVariant("A"), templateId: 7, mappings: mappingsFor(template, {}) }],
    ...overrides,
  };
}

describe("template variables", () => {
  it("lists them header first, then the body, then the buttons", () => {
    expect(templateVariables(template).map((variable) => variable.label)).toEqual([
      "Header {{1}}",
      "Body {{1}}",
      "Body {{2}}",
      "Button 1 link {{1}}",
    ]);
  });

  it("guesses the greeting's name and named fields; the rest are constants to type", () => {
    const named = aTemplate({ variables: { body: ["first_name", "course"] } });
    expect(mappingsFor(named, {})).toEqual({
      body: {
        first_name: { source: "field", field: "first_name", fallback: "Doctor" },
        course: { source: "constant", value: "" },
      },
    });
    expect(mappingsFor(template, {}).body!["1"]).toEqual({
      source: "field",
      field: "name",
      fallback: "Doctor",
    });
  });

  it("keeps what was mapped when another template has the same variables", () => {
    const kept = { body: { "2": { source: "constant" as const, value: "Hernia repair" } } };
    expect(mappingsFor(template, kept).body!["2"]).toEqual(kept.body["2"]);
  });
});

describe("the request", () => {
  it("maps each variable by component to a doctor's field with its fallback or a constant", () => {
    const draft = aDraft();
    draft.variants[0]!.mappings.header!["1"] = { source: "constant", value: "Pune" };
    draft.variants[0]!.mappings.body!["2"] = { source: "constant", value: "Hernia repair" };
    draft.variants[0]!.mappings["button:0"]!["1"] = {
      source: "field",
      field: "registration_number",
      fallback: " ",
    };
    expect(toCampaignCreate(draft, lookup)).toEqual({
      name: "Laparoscopy CME",
      kind: "template",
      segment_id: 3,
      variants: [
        {
          key: "A",
          share: 100,
          template_name: "cme_invite",
          language: "en",
          parameters: {
            header: { "1": { value: "Pune" } },
            body: {
              "1": { field: "name", fallback: "Doctor" },
              "2": { value: "Hernia repair" },
            },
            button: { "0": { field: "registration_number" } },
          },
        },
      ],
      header_media_file_id: null,
      scheduled_at: null,
      quiet_start_minute: null,
      quiet_end_minute: null,
    });
  });

  it("sends free text, the A/B split, the start time and the quiet hours", () => {
    const draft = aDraft({
      kind: "text",
      variants: [
        { ...newVariant("A", 70), text: "Hello {name}" },
        { ...newVariant("B", 30), text: "Hi {first_name}" },
      ],
      schedule: "at",
      scheduledAt: "2030-01-02T09:30",
      quietHours: true,
      quietStart: "21:00",
      quietEnd: "09:00",
    });
    const body = toCampaignCreate(draft, lookup);
    expect(body.variants).toEqual([
      { key: "A", share: 70, text: "Hello {name}" },
      { key: "B", share: 30, text: "Hi {first_name}" },
    ]);
    expect(body.scheduled_at).toBe(new Date("2030-01-02T09:30").toISOString());
    expect([body.quiet_start_minute, body.quiet_end_minute]).toEqual([1260, 540]);
  });

  it("sends the header's media only for a template with a media header", () => {
    expect(toCampaignCreate(aDraft({ headerMediaFileId: 12 }), lookup).header_media_file_id).toBe(
      null,
    );
    const image = aTemplate({ header_format: "IMAGE", header_text: null, variables: {} });
    const withImage = aDraft({
      headerMediaFileId: 12,
      variants: [{ ...newVariant("A"), templateId: 7 }],
    });
    expect(toCampaignCreate(withImage, () => image).header_media_file_id).toBe(12);
  });
});

describe("the A/B split", () => {
  it("needs whole shares that add up to 100", () => {
    expect(shareProblem([{ key: "A", share: 100 }])).toBeNull();
    expect(
      shareProblem([
        { key: "A", share: 50 },
        { key: "B", share: 50 },
      ]),
    ).toBeNull();
    expect(
      shareProblem([
        { key: "A", share: 60 },
        { key: "B", share: 30 },
      ]),
    ).toBe("The shares add up to 90 %; they must add up to 100 %.");
    expect(
      shareProblem([
        { key: "A", share: 100 },
        { key: "B", share: 0 },
      ]),
    ).toBe("Variant A's share must be a whole percentage from 1 to 99.");
    expect(
      shareProblem([
        { key: "A", share: 50.5 },
        { key: "B", share: 49.5 },
      ]),
    ).toMatch(/whole percentage/);
  });

  it("splits evenly by default", () => {
    expect(evenShares(2)).toEqual([50, 50]);
    expect(evenShares(3)).toEqual([34, 33, 33]);
  });
});

describe("what stops a step", () => {
  it("asks for a template, every constant and known text fields", () => {
    expect(messageProblems(aDraft({ variants: [newVariant("A")] }), lookup)).toEqual([
      "choose an approved template.",
    ]);
    expect(messageProblems(aDraft(), lookup)).toEqual([
      "fill Header {{1}}.",
      "fill Body {{2}}.",
      "fill Button 1 link {{1}}.",
    ]);
    const text = aDraft({
      kind: "text",
      variants: [
        { ...newVariant("A", 50), text: "Hello {name} from {town}" },
        { ...newVariant("B", 50), text: "" },
      ],
    });
    expect(messageProblems(text, lookup)).toEqual([
      "Variant A: unknown field {town}.",
      "Variant B: write the message.",
    ]);
    expect(unknownTextFields("{name} {city} {x} {x}")).toEqual(["x"]);
  });

  it("wants a future start and two different quiet times", () => {
    const now = new Date("2030-01-01T10:00:00");
    expect(
      scheduleProblems(aDraft({ schedule: "at", scheduledAt: "2029-12-31T10:00" }), now),
    ).toEqual(["The start time has passed: choose a later one."]);
    expect(
      scheduleProblems(aDraft({ quietHours: true, quietStart: "21:00", quietEnd: "21:00" }), now),
    ).toEqual(["Quiet hours must start and end at different times."]);
    expect(scheduleProblems(aDraft({ quietHours: true, quietEnd: "25:00" }), now)).toEqual([
      "Give the quiet hours as two times of day.",
    ]);
  });
});

it("previews a template with what fills its variables", () => {
  const mappings = mappingsFor(template, {});
  mappings.body!["2"] = { source: "constant", value: "*Hernia* repair" };
  expect(previewTemplate(template, mappings)).toBe(
    "CME in {{1}}\n\nHello [Name], the *Hernia* repair course starts soon.\n\nSurgiAI",
  );
});
