/** Add a Cloud API number, or change one: labels, limits, credentials, enabled, removal. */
import {
  Alert,
  Button,
  Divider,
  Group,
  Modal,
  NumberInput,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  TextInput,
} from "@mantine/core";
import { useState, type ChangeEvent, type FormEvent } from "react";
import {
  errorDetail,
  type NumberCreate,
  type NumberUpdate,
  type WhatsAppNumber,
} from "../api/client";
import { MODE_LABELS, type ConversationMode } from "./health";
import { useCreateNumber, useDeleteNumber, useUpdateNumber } from "./queries";

const ID_PATTERN = /^[0-9A-Za-z_-]{1,64}$/;

type Values = {
  label: string;
  display_phone_number: string;
  phone_number_id: string;
  waba_id: string;
  business_portfolio_id: string;
  access_token: string;
  app_secret: string;
  throughput_mps: number | string;
  enabled: boolean;
  default_mode: ConversationMode;
};

type Errors = Partial<Record<keyof Values, string>>;

function initialValues(number?: WhatsAppNumber): Values {
  return {
    label: number?.label ?? "",
    display_phone_number: number?.display_phone_number ?? "",
    phone_number_id: number?.phone_number_id ?? "",
    waba_id: number?.waba_id ?? "",
    business_portfolio_id: number?.business_portfolio_id ?? "",
    access_token: "",
    app_secret: "",
    throughput_mps: number?.health.throughput_mps ?? "",
    enabled: number?.enabled ?? true,
    default_mode: number?.default_mode ?? "ai",
  };
}

export function validateNumber(values: Values, creating: boolean): Errors {
  const errors: Errors = {};
  const label = values.label.trim();
  if (!label) errors.label = "Give the number a name your team recognises, like “Sales”.";
  else if (label.length > 100) errors.label = "At most 100 characters.";
  const display = values.display_phone_number.trim();
  if (display.length < 5 || display.length > 32) {
    errors.display_phone_number = "The phone number with country code, like 15550100001.";
  }
  if (creating) {
    if (!ID_PATTERN.test(values.phone_number_id.trim())) {
      errors.phone_number_id = "The Phone number ID from WhatsApp Manager (digits).";
    }
    if (!ID_PATTERN.test(values.waba_id.trim())) {
      errors.waba_id = "The WhatsApp Business Account ID (digits).";
    }
    if (values.access_token.length < 8)
      errors.access_token = "Paste the system user's access token.";
  } else if (values.access_token && values.access_token.length < 8) {
    errors.access_token = "An access token is at least 8 characters.";
  }
  if (values.app_secret && values.app_secret.length < 8) {
    errors.app_secret = "An app secret is at least 8 characters.";
  }
  const portfolio = values.business_portfolio_id.trim();
  if (portfolio && !ID_PATTERN.test(portfolio)) {
    errors.business_portfolio_id = "Digits only, as shown in Business Settings.";
  }
  if (values.throughput_mps !== "") {
    const mps = Number(values.throughput_mps);
    if (!Number.isInteger(mps) || mps < 1 || mps > 1000) {
      errors.throughput_mps = "A whole number of messages per second, 1 to 1,000.";
    }
  }
  return errors;
}

function toCreate(values: Values): NumberCreate {
  return {
    label: values.label.trim(),
    channel: "cloud",
    phone_number_id: values.phone_number_id.trim(),
    waba_id: values.waba_id.trim(),
    display_phone_number: values.display_phone_number.trim(),
    access_token: values.access_token,
    app_secret: values.app_secret || null,
    business_portfolio_id: values.business_portfolio_id.trim() || null,
    throughput_mps: values.throughput_mps === "" ? null : Number(values.throughput_mps),
    default_mode: values.default_mode,
  };
}

function toUpdate(values: Values, number: WhatsAppNumber): NumberUpdate {
  const body: NumberUpdate = {};
  if (values.label.trim() !== number.label) body.label = values.label.trim();
  if (values.display_phone_number.trim() !== number.display_phone_number) {
    body.display_phone_number = values.display_phone_number.trim();
  }
  const portfolio = values.business_portfolio_id.trim();
  if (portfolio && portfolio !== number.business_portfolio_id)
    body.business_portfolio_id = portfolio;
  if (
    values.throughput_mps !== "" &&
    Number(values.throughput_mps) !== number.health.throughput_mps
  ) {
    body.throughput_mps = Number(values.throughput_mps);
  }
  if (values.enabled !== number.enabled) body.enabled = values.enabled;
  if (values.default_mode !== number.default_mode) body.default_mode = values.default_mode;
  if (values.access_token) body.access_token = values.access_token;
  if (values.app_secret) body.app_secret = values.app_secret;
  return body;
}

type Props = {
  /** The number to edit; absent to add a new one. */
  number?: WhatsAppNumber | undefined;
  opened: boolean;
  onClose: () => void;
  onSaved: (message: string) => void;
};

export function NumberFormModal({ number, opened, onClose, onSaved }: Props) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      title={number ? `Edit ${number.label}` : "Add a WhatsApp Cloud API number"}
      size="lg"
    >
      {/* Keyed so each opening starts from the number as it is now. */}
      {opened && (
        <NumberForm key={number?.id ?? "new"} number={number} onClose={onClose} onSaved={onSaved} />
      )}
    </Modal>
  );
}

function NumberForm({ number, onClose, onSaved }: Omit<Props, "opened">) {
  const creating = number === undefined;
  const [values, setValues] = useState<Values>(() => initialValues(number));
  const [errors, setErrors] = useState<Errors>({});
  const [confirmRemove, setConfirmRemove] = useState(false);
  const create = useCreateNumber();
  const update = useUpdateNumber();
  const remove = useDeleteNumber();
  const saving = create.isPending || update.isPending;
  const failure = create.error ?? update.error ?? remove.error;

  const set =
    <K extends keyof Values>(key: K) =>
    (value: Values[K]) =>
      setValues((current) => ({ ...current, [key]: value }));
  const text = (key: keyof Values) => ({
    value: values[key] as string,
    onChange: (event: ChangeEvent<HTMLInputElement>) =>
      set(key)(event.currentTarget.value as never),
    error: errors[key],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validateNumber(values, creating);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    if (creating) {
      create.mutate(toCreate(values), {
        onSuccess: (created) =>
          onSaved(`${created.label} was added. Its health check is under way.`),
      });
      return;
    }
    const body = toUpdate(values, number);
    if (Object.keys(body).length === 0) {
      onClose();
      return;
    }
    update.mutate(
      { id: number.id, body },
      { onSuccess: (saved) => onSaved(`${saved.label} was saved.`) },
    );
  };

  return (
    <form
      onSubmit={submit}
      noValidate
      aria-label={creating ? "Add number" : `Edit ${number.label}`}
    >
      <Stack gap="md">
        {failure && (
          <Alert color="red" role="alert" title="Not saved">
            {errorDetail(failure)}
          </Alert>
        )}
        {creating && (
          <Text size="sm" c="dimmed">
            Find these in Meta's WhatsApp Manager under <em>Phone numbers</em> and in Business
            Settings under <em>System users</em>. The token and secret are encrypted and never shown
            again.
          </Text>
        )}
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput
            label="Name"
            required
            description="What your team calls it"
            {...text("label")}
            data-autofocus
          />
          <TextInput
            label="Phone number"
            required
            description="With country code, e.g. 15550100001"
            inputMode="tel"
            {...text("display_phone_number")}
          />
          {creating && (
            <>
              <TextInput label="Phone number ID" required {...text("phone_number_id")} />
              <TextInput label="WhatsApp Business Account ID" required {...text("waba_id")} />
            </>
          )}
          <TextInput
            label="Business portfolio ID"
            description="Optional: numbers in one portfolio share a messaging tier"
            {...text("business_portfolio_id")}
          />
          <NumberInput
            label="Throughput ceiling (messages/s)"
            description="80 by default; 1,000 once WhatsApp upgrades the number"
            min={1}
            max={1000}
            allowDecimal={false}
            value={values.throughput_mps}
            onChange={set("throughput_mps")}
            error={errors.throughput_mps}
          />
          <Select
            label="New conversations"
            description="How doctors who write to this number are answered at first"
            allowDeselect={false}
            data={Object.entries(MODE_LABELS).map(([value, label]) => ({ value, label }))}
            value={values.default_mode}
            onChange={(mode) => mode && set("default_mode")(mode as ConversationMode)}
          />
        </SimpleGrid>
        <Divider
          label={creating ? "Credentials" : "Replace credentials (leave blank to keep)"}
          labelPosition="left"
        />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <PasswordInput
            label="Access token"
            required={creating}
            description={
              creating
                ? "A permanent system user token"
                : `Current token ends in ${number.access_token_hint}`
            }
            autoComplete="off"
            {...text("access_token")}
          />
          <PasswordInput
            label="App secret"
            description={
              !creating && number.has_app_secret
                ? "A secret is set"
                : "Optional: for this number's webhook signatures"
            }
            autoComplete="off"
            {...text("app_secret")}
          />
        </SimpleGrid>
        {!creating && (
          <Switch
            label="Enabled"
            description="A disabled number sends nothing and gets no new conversations; its history is kept."
            checked={values.enabled}
            onChange={(event) => set("enabled")(event.currentTarget.checked)}
          />
        )}
        <Group justify="space-between" mt="sm">
          {!creating ? (
            confirmRemove ? (
              <Group gap="xs">
                <Text size="sm">Remove {number.label}?</Text>
                <Button
                  color="red"
                  size="xs"
                  loading={remove.isPending}
                  onClick={() =>
                    remove.mutate(number.id, {
                      onSuccess: () => onSaved(`${number.label} was removed.`),
                    })
                  }
                >
                  Yes, remove
                </Button>
                <Button size="xs" variant="default" onClick={() => setConfirmRemove(false)}>
                  Keep it
                </Button>
              </Group>
            ) : (
              <Button variant="subtle" color="red" onClick={() => setConfirmRemove(true)}>
                Remove number
              </Button>
            )
          ) : (
            <span />
          )}
          <Group gap="sm">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={saving}>
              {creating ? "Add number" : "Save changes"}
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}
