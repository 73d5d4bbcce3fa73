/** How the workspace behaves: its name, the AI's replies and health alerts. Owners and admins
 * change it; everyone else sees it read-only, with the reason. */
import {
  Alert,
  Button,
  Group,
  NumberInput,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type FormEvent } from "react";
import {
  errorDetail,
  type Template,
  type WorkspaceSettings,
  type WorkspaceSettingsUpdate,
} from "../api/client";
import { formatDateTime, formatRelative } from "../lib/format";
import { useApprovedTemplates, useSyncTemplates, useUpdateWorkspaceSettings } from "./queries";
import { TimeZonePicker } from "./TimeZonePicker";

export const BURST_MAX_SECONDS = 60;
const NAME_MAX = 100;
const NO_TEMPLATE = "none";
const ANSWER_POLICIES: { value: AnswerPolicy; label: string }[] = [
  { value: "approved_only", label: "Wait for approval (recommended)" },
  { value: "allow_documents", label: "Send them at once" },
];

type Values = {
  business_name: string;
  ai_replies_enabled: boolean;
  burst_seconds: number | string;
  whatsapp_alerts_enabled: boolean;
  alert_template: string | null;
  alert_template_language: string;
  timezone: string;
  default_region: string;
  answer_policy: AnswerPolicy;
};
type AnswerPolicy = WorkspaceSettings["answer_policy"];
type Errors = Partial<Record<keyof Values, string>>;

function valuesOf(settings: WorkspaceSettings): Values {
  return {
    business_name: settings.business_name,
    ai_replies_enabled: settings.ai_replies_enabled,
    burst_seconds: settings.burst_seconds,
    whatsapp_alerts_enabled: settings.whatsapp_alerts_enabled,
    alert_template: settings.alert_template,
    alert_template_language: settings.alert_template_language,
    timezone: settings.timezone,
    default_region: settings.default_region,
    answer_policy: settings.answer_policy,
  };
}

function validate(values: Values): Errors {
  const errors: Errors = {};
  const name = values.business_name.trim();
  if (!name) errors.business_name = "Enter the name your team and doctors know you by.";
  else if (name.length > NAME_MAX) errors.business_name = `At most ${NAME_MAX} characters.`;
  const burst = Number(values.burst_seconds);
  if (values.burst_seconds === "" || !(burst >= 0 && burst <= BURST_MAX_SECONDS)) {
    errors.burst_seconds = `A number of seconds from 0 to ${BURST_MAX_SECONDS}.`;
  }
  return errors;
}

/** Only what differs from the saved settings is sent, so a colleague's change to another
 * field meanwhile is kept. */
export function changesBetween(values: Values, saved: WorkspaceSettings): WorkspaceSettingsUpdate {
  const changes: WorkspaceSettingsUpdate = {};
  const name = values.business_name.trim().replace(/\s+/g, " ");
  if (name !== saved.business_name) changes.business_name = name;
  if (values.ai_replies_enabled !== saved.ai_replies_enabled) {
    changes.ai_replies_enabled = values.ai_replies_enabled;
  }
  if (values.burst_seconds !== "" && Number(values.burst_seconds) !== saved.burst_seconds) {
    changes.burst_seconds = Number(values.burst_seconds);
  }
  if (values.whatsapp_alerts_enabled !== saved.whatsapp_alerts_enabled) {
    changes.whatsapp_alerts_enabled = values.whatsapp_alerts_enabled;
  }
  if (values.alert_template !== saved.alert_template) {
    changes.alert_template = values.alert_template;
  }
  if (values.alert_template && values.alert_template_language !== saved.alert_template_language) {
    changes.alert_template_language = values.alert_template_language;
  }
  if (values.timezone !== saved.timezone) changes.timezone = values.timezone;
  if (values.default_region !== saved.default_region) {
    changes.default_region = values.default_region;
  }
  if (values.answer_policy !== saved.answer_policy) changes.answer_policy = values.answer_policy;
  return changes;
}

/** Whether the alert text alone fills the template: the health monitor sends nothing else. */
export function fitsAlert(template: Template): boolean {
  const variables = Object.entries(template.variables);
  return (
    template.parameter_format !== "NAMED" &&
    variables.length === 1 &&
    variables[0]![0] === "body" &&
    variables[0]![1].length === 1 &&
    (template.header_format === null || template.header_format === "TEXT")
  );
}

type Option = { value: string; label: string; disabled?: boolean };

// Where the team's doctors and colleagues mostly are; any other country is kept if saved.
const REGIONS = [
  "IN",
  "AE",
  "SA",
  "QA",
  "OM",
  "KW",
  "BH",
  "BD",
  "NP",
  "LK",
  "SG",
  "MY",
  "GB",
  "US",
];

/** Countries by name (the browser's own names for ISO codes), with the saved one. */
export function regionOptions(saved: string): Option[] {
  const names = new Intl.DisplayNames(["en"], { type: "region" });
  const codes = REGIONS.includes(saved) ? REGIONS : [saved, ...REGIONS];
  return codes.map((code) => ({ value: code, label: `${names.of(code) ?? code} (${code})` }));
}

const optionValue = (name: string, language: string) => `${name}|${language}`;

export function templateOptions(templates: Template[], values: Values): Option[] {
  const options = new Map<string, Option>();
  for (const template of templates) {
    const value = optionValue(template.name, template.language);
    const fits = fitsAlert(template);
    // The same template in several WhatsApp Business Accounts: one choice, usable if any fits.
    if (options.get(value)?.disabled === false) continue;
    options.set(value, {
      value,
      label: `${template.name} (${template.language})${fits ? "" : " · needs exactly one body parameter"}`,
      disabled: !fits,
    });
  }
  const sorted = [...options.values()].sort((a, b) => a.label.localeCompare(b.label));
  const current = values.alert_template
    ? optionValue(values.alert_template, values.alert_template_language)
    : null;
  if (current && !options.has(current)) {
    sorted.unshift({
      value: current,
      label: `${values.alert_template} (${values.alert_template_language}) · not synced as approved`,
    });
  }
  return [{ value: NO_TEMPLATE, label: "None: alert only inside the 24-hour window" }, ...sorted];
}

function savedSummary(settings: WorkspaceSettings): string {
  if (!settings.updated_at) return "Nobody has changed these yet: the server's defaults apply.";
  const who = settings.updated_by_name ? ` by ${settings.updated_by_name}` : "";
  return `Last changed ${formatRelative(settings.updated_at)}${who}.`;
}

export function WorkspaceForm({
  settings,
  editable,
  roleLabel,
}: {
  settings: WorkspaceSettings;
  editable: boolean;
  roleLabel: string;
}) {
  const update = useUpdateWorkspaceSettings();
  const templates = useApprovedTemplates({ enabled: editable });
  const sync = useSyncTemplates();
  // What the user typed; null while they have changed nothing (live updates then show at once).
  const [draft, setDraft] = useState<{ values: Values; base: string | null } | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const values = draft?.values ?? valuesOf(settings);
  const changes = changesBetween(values, settings);
  const dirty = Object.keys(changes).length > 0;
  const changedElsewhere = draft !== null && draft.base !== settings.updated_at;

  const set = <K extends keyof Values>(key: K, value: Values[K]) => {
    setDraft((current) => ({
      values: { ...(current?.values ?? valuesOf(settings)), [key]: value },
      base: current?.base ?? settings.updated_at,
    }));
    setErrors((current) => ({ ...current, [key]: undefined }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length > 0 || !dirty) return;
    update.mutate(changes, {
      onSuccess: () => {
        setDraft(null);
        notifications.show({
          color: "teal",
          title: "Settings saved",
          message: "Every open dashboard and the AI use them now.",
        });
      },
    });
  };

  const options = templateOptions(templates.data ?? [], values);
  const selected = values.alert_template
    ? optionValue(values.alert_template, values.alert_template_language)
    : NO_TEMPLATE;

  return (
    <form onSubmit={submit} noValidate aria-label="Workspace settings">
      <Stack gap="lg">
        <Text size="sm" c="dimmed" title={formatDateTime(settings.updated_at)}>
          {savedSummary(settings)}
        </Text>
        {!editable && (
          <Alert color="gray" title="Read-only for your role">
            Only owners and admins can change the workspace settings. Your role ({roleLabel}) can
            see them; ask an owner or admin if something should change.
          </Alert>
        )}
        {editable && changedElsewhere && (
          <Alert color="yellow" title="Changed by someone else meanwhile">
            <Stack gap="xs" align="flex-start">
              <Text size="sm">
                Saving keeps their changes and applies only the fields you changed.
              </Text>
              <Button size="xs" variant="light" color="yellow" onClick={() => setDraft(null)}>
                Discard my changes
              </Button>
            </Stack>
          </Alert>
        )}
        {update.isError && (
          <Alert color="red" role="alert" title="Not saved">
            {errorDetail(update.error)}
          </Alert>
        )}

        <TextInput
          label="Business name"
          description="Shown in the dashboard's header and the browser tab."
          required={editable}
          maxLength={NAME_MAX}
          readOnly={!editable}
          variant={editable ? "default" : "filled"}
          value={values.business_name}
          onChange={(event) => set("business_name", event.currentTarget.value)}
          error={errors.business_name}
        />

        <Select
          label="Country of phone numbers"
          description="A phone typed without its country code (98765 43210) is read as a number of this country, everywhere in SurgiAI."
          data={regionOptions(settings.default_region)}
          allowDeselect={false}
          readOnly={!editable}
          variant={editable ? "default" : "filled"}
          value={values.default_region}
          onChange={(region) => region && set("default_region", region)}
          maw={480}
        />

        <TimeZonePicker
          label="Time zone"
          description="Reports count calendar days in this time zone (the overview's trend). Search by city, country or abbreviation."
          readOnly={!editable}
          value={values.timezone}
          onChange={(zone) => set("timezone", zone)}
        />

        <Stack gap="xs">
          {!settings.agents_enabled_on_server && (
            <Alert color="yellow" title="AI agents are off on the server">
              The server runs with SURGIAI_AGENTS_ENABLED=false, so no AI agent answers whatever is
              set here. Whoever runs the server can switch them on.
            </Alert>
          )}
          <Switch
            label="AI replies to doctors"
            description="When off, no AI agent answers doctors: their messages wait for your team in the inbox. STOP and START are still recorded and confirmed, and commands from your phones still work."
            checked={values.ai_replies_enabled}
            disabled={!editable}
            onChange={(event) => set("ai_replies_enabled", event.currentTarget.checked)}
          />
        </Stack>

        <Select
          label="Answers from documents"
          description="Answers built from the catalogue and approved FAQs always go out at once. Answers the AI builds from a document's text can wait for a person's approval first."
          data={ANSWER_POLICIES}
          allowDeselect={false}
          readOnly={!editable}
          variant={editable ? "default" : "filled"}
          value={values.answer_policy}
          onChange={(value) => value && set("answer_policy", value as AnswerPolicy)}
          maw={480}
        />

        <NumberInput
          label="Wait for a doctor who is still typing (seconds)"
          description={`A greeting or a fragment waits this long for what usually follows, so the doctor gets one considered reply. Questions are answered at once. 0 to ${BURST_MAX_SECONDS}.`}
          min={0}
          max={BURST_MAX_SECONDS}
          step={0.5}
          decimalScale={1}
          clampBehavior="none"
          readOnly={!editable}
          variant={editable ? "default" : "filled"}
          value={values.burst_seconds}
          onChange={(value) => set("burst_seconds", value)}
          error={errors.burst_seconds}
          maw={480}
        />

        <Switch
          label="Health alerts on WhatsApp"
          description="Owners and admins with a WhatsApp phone on their account hear when an agent or a number gets into trouble. The dashboard shows every alert either way."
          checked={values.whatsapp_alerts_enabled}
          disabled={!editable}
          onChange={(event) => set("whatsapp_alerts_enabled", event.currentTarget.checked)}
        />

        <Select
          label="Alert template"
          description="WhatsApp only lets alerts reach a phone outside its 24-hour window through an approved template whose body has one parameter, {{1}}, for the alert."
          data={options}
          value={selected}
          allowDeselect={false}
          searchable
          nothingFoundMessage="No approved template has that name"
          disabled={!editable || !values.whatsapp_alerts_enabled}
          onChange={(value) => {
            if (value === null) return;
            if (value === NO_TEMPLATE) {
              set("alert_template", null);
              return;
            }
            const split = value.lastIndexOf("|");
            setDraft((current) => ({
              values: {
                ...(current?.values ?? valuesOf(settings)),
                alert_template: value.slice(0, split),
                alert_template_language: value.slice(split + 1),
              },
              base: current?.base ?? settings.updated_at,
            }));
          }}
          error={
            templates.isError
              ? `Could not load the templates: ${errorDetail(templates.error)}`
              : undefined
          }
          maw={520}
        />
        {editable && (
          <Group gap="sm" mt={-8}>
            <Button
              size="xs"
              variant="default"
              loading={sync.isPending}
              onClick={() =>
                sync.mutate(undefined, {
                  onSuccess: () =>
                    notifications.show({
                      title: "Template sync queued",
                      message: "The list updates in a few seconds.",
                    }),
                  onError: (error) =>
                    notifications.show({
                      color: "red",
                      title: "Could not sync the templates",
                      message: errorDetail(error),
                    }),
                })
              }
            >
              Sync templates from WhatsApp
            </Button>
            {templates.isSuccess && options.length === 1 && (
              <Text size="sm" c="dimmed">
                No approved template yet: create one in WhatsApp Manager, then sync.
              </Text>
            )}
          </Group>
        )}

        {editable && (
          <Group justify="flex-end" gap="sm">
            <Button
              variant="default"
              disabled={!draft || update.isPending}
              onClick={() => {
                setDraft(null);
                setErrors({});
                update.reset();
              }}
            >
              Discard changes
            </Button>
            <Button type="submit" loading={update.isPending} disabled={!dirty}>
              Save settings
            </Button>
          </Group>
        )}
      </Stack>
    </form>
  );
}
