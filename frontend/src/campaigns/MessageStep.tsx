/** The wizard's message step: an approved template with each variable mapped to a doctor's field
 * (with a fallback) or a constant, or free text; an optional A/B split; the header's media. */
import {
  ActionIcon,
  Alert,
  Button,
  FileInput,
  Group,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
  Title,
} from "@mantine/core";
import { errorDetail, type Template } from "../api/client";
import { useUploadMedia } from "../inbox/queries";
import { WhatsAppText } from "../lib/whatsapp";
import {
  FIELD_LABELS,
  VARIANT_KEYS,
  evenShares,
  mappingsFor,
  needsHeaderMedia,
  newVariant,
  previewTemplate,
  templateVariables,
  type CampaignDraft,
  type Lookup,
  type Mapping,
  type VariantDraft,
} from "./draft";
import { DOCTOR_FIELDS, type DoctorField } from "./types";
import classes from "../components/tables.module.css";

const CONSTANT = "constant";
const SOURCE_OPTIONS = [
  ...DOCTOR_FIELDS.map((field) => ({
    value: field,
    label: `Doctor's ${FIELD_LABELS[field].toLowerCase()}`,
  })),
  { value: CONSTANT, label: "The same text for everyone" },
];

type Props = {
  draft: CampaignDraft;
  change: (update: Partial<CampaignDraft>) => void;
  templates: Template[];
  lookup: Lookup;
  templatesLoading: boolean;
};

export function MessageStep({ draft, change, templates, lookup, templatesLoading }: Props) {
  const setVariant = (index: number, update: Partial<VariantDraft>) =>
    change({
      variants: draft.variants.map((variant, i) =>
        i === index ? { ...variant, ...update } : variant,
      ),
    });
  const split = draft.variants.length > 1;
  const setVariantCount = (count: number) => {
    const shares = evenShares(count);
    change({
      variants: VARIANT_KEYS.slice(0, count).map((key, index) => ({
        ...(draft.variants[index] ?? newVariant(key)),
        share: count > 1 ? shares[index]! : 100,
      })),
    });
  };
  const mediaHeader =
    draft.kind === "template" &&
    draft.variants.some((variant) =>
      needsHeaderMedia(variant.templateId === null ? undefined : lookup(variant.templateId)),
    );

  return (
    <Stack gap="md">
      <SegmentedControl
        aria-label="Message kind"
        value={draft.kind}
        onChange={(kind) => change({ kind: kind as CampaignDraft["kind"] })}
        data={[
          { value: "template", label: "Approved template" },
          { value: "text", label: "Free text" },
        ]}
      />
      {draft.kind === "text" && (
        <Alert color="yellow" title="Free text reaches only doctors inside their 24 h window">
          WhatsApp lets a business write freely only within 24 hours of the doctor's last message;
          everyone else is skipped. Use {"{name}"}, {"{first_name}"}, {"{specialty}"}, {"{city}"},{" "}
          {"{state}"}, {"{hospital}"}, {"{email}"} or {"{registration_number}"} to fill in each
          doctor's details.
        </Alert>
      )}
      <Switch
        label="A/B test: send a second variant to part of the audience"
        checked={split}
        onChange={(event) => setVariantCount(event.currentTarget.checked ? 2 : 1)}
      />
      {draft.variants.map((variant, index) => (
        <Paper key={variant.key} withBorder p="md" radius="md">
          <Stack gap="sm">
            {split && (
              <Group justify="space-between" align="flex-end">
                <Title order={3} size="h5">
                  Variant {variant.key}
                </Title>
                <NumberInput
                  label={`Share of variant ${variant.key} (%)`}
                  min={1}
                  max={99}
                  allowDecimal={false}
                  value={variant.share}
                  onChange={(value) => setVariant(index, { share: Number(value) || 0 })}
                  w={200}
                />
              </Group>
            )}
            {draft.kind === "text" ? (
              <TextVariant variant={variant} onChange={(text) => setVariant(index, { text })} />
            ) : (
              <TemplateVariant
                variant={variant}
                templates={templates}
                templatesLoading={templatesLoading}
                lookup={lookup}
                onChange={(update) => setVariant(index, update)}
              />
            )}
          </Stack>
        </Paper>
      ))}
      {split && draft.variants.length < VARIANT_KEYS.length && (
        <Group>
          <Button
            variant="subtle"
            size="xs"
            onClick={() => setVariantCount(draft.variants.length + 1)}
          >
            Add variant {VARIANT_KEYS[draft.variants.length]}
          </Button>
          {draft.variants.length > 2 && (
            <Button
              variant="subtle"
              size="xs"
              color="red"
              onClick={() => setVariantCount(draft.variants.length - 1)}
            >
              Remove variant {draft.variants.at(-1)!.key}
            </Button>
          )}
        </Group>
      )}
      {mediaHeader && (
        <HeaderMedia
          fileId={draft.headerMediaFileId}
          onUploaded={(id) => change({ headerMediaFileId: id })}
        />
      )}
    </Stack>
  );
}

function TextVariant({
  variant,
  onChange,
}: {
  variant: VariantDraft;
  onChange: (text: string) => void;
}) {
  return (
    <>
      <Textarea
        label={`Message${variant.key === "A" ? "" : ` (variant ${variant.key})`}`}
        description="WhatsApp formatting works: *bold*, _italic_, ~strike~."
        autosize
        minRows={4}
        maxLength={4096}
        value={variant.text}
        onChange={(event) => onChange(event.currentTarget.value)}
      />
      {variant.text.trim() && <Preview text={variant.text} />}
    </>
  );
}

function Preview({ text }: { text: string }) {
  return (
    <Paper bg="green.0" p="sm" radius="md" aria-label="Message preview">
      <Text size="sm" component="div" style={{ whiteSpace: "pre-wrap" }}>
        <WhatsAppText text={text} />
      </Text>
    </Paper>
  );
}

function TemplateVariant({
  variant,
  templates,
  templatesLoading,
  lookup,
  onChange,
}: {
  variant: VariantDraft;
  templates: Template[];
  templatesLoading: boolean;
  lookup: Lookup;
  onChange: (update: Partial<VariantDraft>) => void;
}) {
  const template = variant.templateId === null ? undefined : lookup(variant.templateId);
  const variables = template ? templateVariables(template) : [];
  const setMapping = (slot: string, name: string, mapping: Mapping) =>
    onChange({
      mappings: { ...variant.mappings, [slot]: { ...variant.mappings[slot], [name]: mapping } },
    });

  return (
    <>
      <Select
        label={`Template${variant.key === "A" ? "" : ` (variant ${variant.key})`}`}
        placeholder={templatesLoading ? "Loading templates…" : "Choose an approved template"}
        searchable
        nothingFoundMessage="No approved template: sync them on the Settings page"
        data={templates.map((option) => ({
          value: String(option.id),
          label: `${option.name} (${option.language})${option.category ? ` · ${option.category.toLowerCase()}` : ""}`,
        }))}
        value={variant.templateId === null ? null : String(variant.templateId)}
        onChange={(value) => {
          const chosen = value ? lookup(Number(value)) : undefined;
          onChange({
            templateId: chosen ? chosen.id : null,
            mappings: chosen ? mappingsFor(chosen, variant.mappings) : {},
          });
        }}
      />
      {template && variables.length > 0 && (
        <Table
          aria-label={`Variables of ${template.name}`}
          verticalSpacing="xs"
          className={classes.cards}
        >
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Variable</Table.Th>
              <Table.Th scope="col">Filled with</Table.Th>
              <Table.Th scope="col">Fallback or text</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {variables.map(({ slot, variable, label }) => {
              const mapping = variant.mappings[slot]?.[variable] ?? {
                source: "constant" as const,
                value: "",
              };
              return (
                <Table.Tr key={`${slot}/${variable}`}>
                  <Table.Td>
                    <Text size="sm" ff="monospace">
                      {label}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Select
                      aria-label={`${label}: filled with`}
                      data={SOURCE_OPTIONS}
                      allowDeselect={false}
                      value={mapping.source === "field" ? mapping.field : CONSTANT}
                      onChange={(value) =>
                        setMapping(
                          slot,
                          variable,
                          value === CONSTANT || !value
                            ? { source: "constant", value: "" }
                            : {
                                source: "field",
                                field: value as DoctorField,
                                fallback: value.endsWith("name") ? "Doctor" : "",
                              },
                        )
                      }
                    />
                  </Table.Td>
                  <Table.Td>
                    {mapping.source === "field" ? (
                      <TextInput
                        aria-label={`${label}: fallback`}
                        placeholder="When the doctor has none"
                        value={mapping.fallback}
                        onChange={(event) =>
                          setMapping(slot, variable, {
                            ...mapping,
                            fallback: event.currentTarget.value,
                          })
                        }
                      />
                    ) : (
                      <TextInput
                        aria-label={`${label}: text`}
                        placeholder="Text for everyone"
                        value={mapping.value}
                        onChange={(event) =>
                          setMapping(slot, variable, {
                            source: "constant",
                            value: event.currentTarget.value,
                          })
                        }
                      />
                    )}
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      {template && <Preview text={previewTemplate(template, variant.mappings)} />}
    </>
  );
}

function HeaderMedia({
  fileId,
  onUploaded,
}: {
  fileId: number | null;
  onUploaded: (id: number | null) => void;
}) {
  const upload = useUploadMedia();
  return (
    <Stack gap={4}>
      <Group align="flex-end" gap="xs">
        <FileInput
          label="Header media"
          description="The template has a media header: the image, video or document every doctor receives."
          placeholder="Choose a file"
          accept="image/jpeg,image/png,video/mp4,application/pdf"
          disabled={upload.isPending}
          onChange={(file) => {
            if (!file) return onUploaded(null);
            upload.mutate(file, { onSuccess: (media) => onUploaded(media.id) });
          }}
          style={{ flex: 1 }}
        />
        {fileId !== null && (
          <ActionIcon
            variant="subtle"
            color="red"
            aria-label="Remove the header media"
            onClick={() => onUploaded(null)}
          >
            ×
          </ActionIcon>
        )}
      </Group>
      {upload.isPending && <Text size="xs">Uploading…</Text>}
      {upload.isError && (
        <Text size="xs" c="red" role="alert">
          {errorDetail(upload.error)}
        </Text>
      )}
      {fileId !== null && !upload.isPending && (
        <Text size="xs" c="dimmed">
          Uploaded (file #{fileId}).
        </Text>
      )}
    </Stack>
  );
}
