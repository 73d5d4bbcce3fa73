/** My account: the signed-in user's name, WhatsApp phone and password. Every role has one. */
import { Alert, Button, Group, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState, type ChangeEvent, type FormEvent } from "react";
import { errorDetail, type AccountUpdate, type User } from "../api/client";
import { PhoneInput } from "../components/PhoneInput";
import { formatPhone } from "../lib/format";
import { useChangePassword, useUpdateAccount } from "./queries";

const MIN_PASSWORD = 8;

type Profile = { name: string; phone: string };

function profileOf(user: User): Profile {
  return { name: user.name, phone: user.phone ? formatPhone(user.phone) : "" };
}

export function ProfileForm({ user }: { user: User }) {
  const update = useUpdateAccount();
  const [draft, setDraft] = useState<Profile | null>(null);
  const [errors, setErrors] = useState<Partial<Profile>>({});
  const values = draft ?? profileOf(user);

  const changes: AccountUpdate = {};
  const name = values.name.trim().replace(/\s+/g, " ");
  if (name !== user.name) changes.name = name;
  const digits = values.phone.replace(/\D/g, "");
  if ((digits || null) !== user.phone) changes.phone = values.phone.trim() || null;
  const dirty = Object.keys(changes).length > 0;

  const set = (key: keyof Profile, value: string) => {
    setDraft({ ...values, [key]: value });
    setErrors((current) => ({ ...current, [key]: undefined }));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Partial<Profile> = {};
    if (!name) found.name = "Enter your name as colleagues see it.";
    setErrors(found);
    if (Object.keys(found).length > 0 || !dirty) return;
    update.mutate(changes, {
      onSuccess: () => {
        setDraft(null);
        notifications.show({
          color: "teal",
          title: "Account saved",
          message: "Your details are up to date.",
        });
      },
    });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Profile">
      <Stack gap="md">
        <Title order={3} size="h5">
          Profile
        </Title>
        {update.isError && (
          <Alert color="red" role="alert" title="Not saved">
            {errorDetail(update.error)}
          </Alert>
        )}
        <TextInput
          label="Name"
          required
          maxLength={200}
          autoComplete="name"
          value={values.name}
          onChange={(event) => set("name", event.currentTarget.value)}
          error={errors.name}
        />
        <PhoneInput
          label="WhatsApp phone"
          description="Health alerts come here, and commands you send from it act as you. Without a country code it is read as a number of the workspace's country. Leave empty for none."
          value={values.phone}
          onChange={(phone) => set("phone", phone)}
          error={errors.phone}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={update.isPending} disabled={!dirty}>
            Save profile
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

type Passwords = { current: string; next: string; confirm: string };
const NO_PASSWORDS: Passwords = { current: "", next: "", confirm: "" };

export function PasswordForm() {
  const change = useChangePassword();
  const [values, setValues] = useState<Passwords>(NO_PASSWORDS);
  const [errors, setErrors] = useState<Partial<Passwords>>({});

  const field = (key: keyof Passwords) => ({
    value: values[key],
    onChange: (event: ChangeEvent<HTMLInputElement>) => {
      const value = event.currentTarget.value;
      setValues((current) => ({ ...current, [key]: value }));
      setErrors((current) => ({ ...current, [key]: undefined }));
    },
    error: errors[key],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Partial<Passwords> = {};
    if (!values.current) found.current = "Enter the password you use now.";
    if (values.next.length < MIN_PASSWORD) found.next = `At least ${MIN_PASSWORD} characters.`;
    else if (values.next === values.current) found.next = "Choose a password you don't use now.";
    if (values.confirm !== values.next) found.confirm = "Type the new password again, exactly.";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    change.mutate(
      { current_password: values.current, new_password: values.next },
      {
        onSuccess: () => {
          setValues(NO_PASSWORDS);
          notifications.show({
            color: "teal",
            title: "Password changed",
            message: "You stay signed in here; your other sessions were signed out.",
          });
        },
      },
    );
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Change password">
      <Stack gap="md">
        <Title order={3} size="h5">
          Password
        </Title>
        <Text size="sm" c="dimmed">
          Changing it signs you out everywhere else.
        </Text>
        {change.isError && (
          <Alert color="red" role="alert" title="Password not changed">
            {errorDetail(change.error)}
          </Alert>
        )}
        <PasswordInput
          label="Current password"
          required
          autoComplete="current-password"
          {...field("current")}
        />
        <PasswordInput
          label="New password"
          description={`At least ${MIN_PASSWORD} characters.`}
          required
          autoComplete="new-password"
          {...field("next")}
        />
        <PasswordInput
          label="Confirm new password"
          required
          autoComplete="new-password"
          {...field("confirm")}
        />
        <Group justify="flex-end">
          <Button type="submit" loading={change.isPending}>
            Change password
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
