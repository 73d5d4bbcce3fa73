/** The create wizard's draft and the request it becomes: the audience, the message (an approved
 * template with each variable mapped to a doctor's field or a constant, or free text), an
 * optional A/B split, the schedule and the quiet hours. */
import type { Template } from "../api/client";
import { timeToMinute } from "./progress";
import {
  DOCTOR_FIELDS,
  type CampaignCreate,
  type CampaignKind,
  type DoctorField,
  type ParameterComponent,
  type ValueSource,
  type VariantIn,
} from "./types";

export const FIELD_LABELS: Record<DoctorField, string> = {
  name: "Name",
  first_name: "First name",
  specialty: "Specialty",
  city: "City",
  state: "State",
  hospital: "Hospital",
  email: "Email",
  registration_number: "Registration number",
};

export type Mapping =
  { source: "field"; field: DoctorField; fallback: string } | { source: "constant"; value: string };

/** A template's variables by slot, as `TemplateRead.variables` names them: "header", "body",
 * "button:<index>" (a URL button's variable). */
export type Mappings = Record<string, Record<string, Mapping>>;

export type VariantDraft = {
  key: string;
  share: number;
  templateId: number | null;
  mappings: Mappings;
  text: string;
};

export type CampaignDraft = {
  name: string;
  segmentId: number | null;
  kind: CampaignKind;
  variants: VariantDraft[];
  headerMediaFileId: number | null;
  schedule: "now" | "at";
  /** A `datetime-local` value: the browser's own time. */
  scheduledAt: string;
  quietHours: boolean;
  quietStart: string;
  quietEnd: string;
};

export const VARIANT_KEYS = ["A", "B", "C", "D"] as const;

export function newVariant(key: string, share = 100): VariantDraft {
  return { key, share, templateId: null, mappings: {}, text: "" };
}

export const NEW_DRAFT: CampaignDraft = {
  name: "",
  segmentId: null,
  kind: "template",
  variants: [newVariant("A")],
  headerMediaFileId: null,
  schedule: "now",
  scheduledAt: "",
  quietHours: false,
  quietStart: "21:00",
  quietEnd: "09:00",
};

export type TemplateVariable = { slot: string; variable: string; label: string };

function slotLabel(slot: string): string {
  if (slot === "header") return "Header";
  if (slot === "body") return "Body";
  const button = /^button:(\d+)$/.exec(slot);
  return button ? `Button ${Number(button[1]) + 1} link` : slot;
}

/** Every variable the template needs filled, header first, as the form lists them. */
export function templateVariables(template: Pick<Template, "variables">): TemplateVariable[] {
  const order = (slot: string) => (slot === "header" ? 0 : slot === "body" ? 1 : 2);
  return Object.entries(template.variables)
    .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
    .flatMap(([slot, variables]) =>
      variables.map((variable) => ({
        slot,
        variable,
        label: `${slotLabel(slot)} {{${variable}}}`,
      })),
    );
}

function isDoctorField(name: string): name is DoctorField {
  return (DOCTOR_FIELDS as readonly string[]).includes(name);
}

/** A first guess the team then adjusts: a variable named after a doctor's field takes it, the
 * body's first variable is usually the greeting's name, anything else a constant to type. */
export function guessMapping(slot: string, variable: string): Mapping {
  if (isDoctorField(variable)) {
    return {
      source: "field",
      field: variable,
      fallback: variable.endsWith("name") ? "Doctor" : "",
    };
  }
  if (slot === "body" && variable === "1")
    return { source: "field", field: "name", fallback: "Doctor" };
  return { source: "constant", value: "" };
}

/** The mappings for a newly chosen template: kept where the old ones fit, guessed elsewhere. */
export function mappingsFor(template: Pick<Template, "variables">, previous: Mappings): Mappings {
  const mappings: Mappings = {};
  for (const { slot, variable } of templateVariables(template)) {
    mappings[slot] = {
      ...mappings[slot],
      [variable]: previous[slot]?.[variable] ?? guessMapping(slot, variable),
    };
  }
  return mappings;
}

function toSource(mapping: Mapping): ValueSource {
  if (mapping.source === "constant") return { value: mapping.value };
  const fallback = mapping.fallback.trim();
  return fallback ? { field: mapping.field, fallback } : { field: mapping.field };
}

/** "button:1" → the button component, keyed by the button's index. */
function component(slot: string): { component: ParameterComponent; key?: string } | null {
  if (slot === "header" || slot === "body") return { component: slot };
  const button = /^button:(\d+)$/.exec(slot);
  return button ? { component: "button", key: button[1]! } : null;
}

export function templateParameters(
  template: Pick<Template, "variables">,
  mappings: Mappings,
): NonNullable<VariantIn["parameters"]> {
  const parameters: NonNullable<VariantIn["parameters"]> = {};
  for (const { slot, variable } of templateVariables(template)) {
    const target = component(slot);
    const mapping = mappings[slot]?.[variable] ?? guessMapping(slot, variable);
    if (!target) continue;
    const key = target.key ?? variable;
    parameters[target.component] = { ...parameters[target.component], [key]: toSource(mapping) };
  }
  return parameters;
}

/** Whether the shares of an A/B test add up: null when they do, else what to fix. */
export function shareProblem(variants: Pick<VariantDraft, "key" | "share">[]): string | null {
  if (variants.length <= 1) return null;
  for (const variant of variants) {
    if (!Number.isInteger(variant.share) || variant.share < 1 || variant.share > 99) {
      return `Variant ${variant.key}'s share must be a whole percentage from 1 to 99.`;
    }
  }
  const total = variants.reduce((sum, variant) => sum + variant.share, 0);
  return total === 100 ? null : `The shares add up to ${total} %; they must add up to 100 %.`;
}

/** Shares split as evenly as whole percentages allow, the first ones taking the remainder. */
export function evenShares(count: number): number[] {
  const base = Math.floor(100 / count);
  return Array.from({ length: count }, (_, index) => base + (index < 100 % count ? 1 : 0));
}

/** `{field}`s in a free text that are not a doctor's field. */
export function unknownTextFields(text: string): string[] {
  const unknown = new Set<string>();
  for (const match of text.matchAll(/\{(\w+)\}/g)) {
    if (!isDoctorField(match[1]!)) unknown.add(match[1]!);
  }
  return [...unknown];
}

/** A template's text with its variables shown as what fills them ("[First name]", a constant). */
export function previewTemplate(template: Template, mappings: Mappings): string {
  const fill = (slot: string, text: string | null) =>
    (text ?? "").replace(/\{\{\s*([\w]+)\s*\}\}/g, (whole, variable: string) => {
      const mapping = mappings[slot]?.[variable];
      if (!mapping) return whole;
      if (mapping.source === "constant") return mapping.value || whole;
      return `[${FIELD_LABELS[mapping.field]}]`;
    });
  return [
    fill("header", template.header_text),
    fill("body", template.body_text),
    template.footer_text ?? "",
  ]
    .filter((part) => part.trim())
    .join("\n\n");
}

export type Lookup = (templateId: number) => Template | undefined;

export function needsHeaderMedia(template: Pick<Template, "header_format"> | undefined): boolean {
  const format = template?.header_format?.toUpperCase();
  return format === "IMAGE" || format === "VIDEO" || format === "DOCUMENT";
}

/** What stops each step from going on: empty when it is complete. */
export function audienceProblems(draft: CampaignDraft): string[] {
  const problems: string[] = [];
  if (!draft.name.trim()) problems.push("Give the campaign a name.");
  if (draft.segmentId === null) problems.push("Choose a segment.");
  return problems;
}

export function messageProblems(draft: CampaignDraft, lookup: Lookup): string[] {
  const problems: string[] = [];
  for (const variant of draft.variants) {
    const which = draft.variants.length > 1 ? `Variant ${variant.key}: ` : "";
    if (draft.kind === "text") {
      if (!variant.text.trim()) problems.push(`${which}write the message.`);
      const unknown = unknownTextFields(variant.text);
      if (unknown.length) {
        problems.push(`${which}unknown field ${unknown.map((name) => `{${name}}`).join(", ")}.`);
      }
      continue;
    }
    const template = variant.templateId === null ? undefined : lookup(variant.templateId);
    if (!template) {
      problems.push(`${which}choose an approved template.`);
      continue;
    }
    for (const { slot, variable, label } of templateVariables(template)) {
      const mapping = variant.mappings[slot]?.[variable];
      if (mapping?.source === "constant" && !mapping.value.trim()) {
        problems.push(`${which}fill ${label}.`);
      }
    }
  }
  const share = shareProblem(draft.variants);
  if (share) problems.push(share);
  return problems;
}

export function scheduleProblems(draft: CampaignDraft, now = new Date()): string[] {
  const problems: string[] = [];
  if (draft.schedule === "at") {
    const at = new Date(draft.scheduledAt);
    if (!draft.scheduledAt || Number.isNaN(at.getTime())) problems.push("Choose when to start.");
    else if (at <= now) problems.push("The start time has passed: choose a later one.");
  }
  if (draft.quietHours) {
    const start = timeToMinute(draft.quietStart);
    const end = timeToMinute(draft.quietEnd);
    if (start === null || end === null) problems.push("Give the quiet hours as two times of day.");
    else if (start === end) problems.push("Quiet hours must start and end at different times.");
  }
  return problems;
}

/** The request the draft becomes (check the steps' problems first). */
export function toCampaignCreate(draft: CampaignDraft, lookup: Lookup): CampaignCreate {
  const split = draft.variants.length > 1;
  const variants: VariantIn[] = draft.variants.map((variant) => {
    const common = { key: variant.key, share: split ? variant.share : 100 };
    if (draft.kind === "text") return { ...common, text: variant.text };
    const template = variant.templateId === null ? undefined : lookup(variant.templateId);
    if (!template) return common;
    return {
      ...common,
      template_name: template.name,
      language: template.language,
      parameters: templateParameters(template, variant.mappings),
    };
  });
  const headerMedia =
    draft.kind === "template" &&
    draft.variants.some((variant) =>
      needsHeaderMedia(variant.templateId === null ? undefined : lookup(variant.templateId)),
    );
  return {
    name: draft.name.trim(),
    kind: draft.kind,
    segment_id: draft.segmentId ?? 0,
    variants,
    header_media_file_id: headerMedia ? draft.headerMediaFileId : null,
    scheduled_at:
      draft.schedule === "at" && draft.scheduledAt
        ? new Date(draft.scheduledAt).toISOString()
        : null,
    quiet_start_minute: draft.quietHours ? timeToMinute(draft.quietStart) : null,
    quiet_end_minute: draft.quietHours ? timeToMinute(draft.quietEnd) : null,
  };
}
