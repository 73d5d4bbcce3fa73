/** Invite a colleague: name, email, role and a first password they change later. */
import {
  Alert,
  Button,
  Group,
  Modal,
  PasswordInput,
  Select,
  SimpleGrid,
  Stack,
  TextInput,
} from "@mantine/core";
import { useState, type ChangeEvent, type FormEvent } from "react";
import { errorDetail, type Role, type User } from "../api/client";
import { grantableRoles, ROLE_LABELS } from "../auth/permissions";
import { PhoneInput } from "../components/PhoneInput";
import { useCreateUser } from "./queries";

const MIN_PASSWORD = 8;

export const ROLE_HELP: Record<Role, string> = {
  owner: "Everything, including other owners",
  admin: "Numbers, users and conversations",
  agent: "Reads and answers conversations",
  viewer: "Reads only",
};

type Values = { name: string; email: string; role: Role; password: string; phone: string };
type Errors = Partial<Record<keyof Values, string>>;

function validate(values: Values): Errors {
  const errors: Errors = {};
  if (!values.name.trim()) errors.name = "Enter their name.";
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim())) {
    errors.email = "Enter an email address like name@example.com.";
  }
  if (values.password.length < MIN_PASSWORD) {
    errors.password = `At least ${MIN_PASSWORD} characters.`;
  }
  return errors;
}

export function UserFormModal({
  actor,
  opened,
  onClose,
  onSaved,
}: {
  actor: User;
  opened: boolean;
  onClose: () => void;
  onSaved: (user: User) => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} title="Add a user" size="lg">
      {opened && <UserForm actor={actor} onClose={onClose} onSaved={onSaved} />}
    </Modal>
  );
}

function UserForm({
  actor,
  onClose,
  onSaved,
}: {
  actor: User;
  onClose: () => void;
  onSaved: (user: User) => void;
}) {
  const create = useCreateUser();
  const [values, setValues] = useState<Values>({
    name: "",
    email: "",
    role: "agent",
    password: "",
    phone: "",
  });
  const [errors, setErrors] = useState<Errors>({});
  const field = (key: Exclude<keyof Values, "role">) => ({
    value: values[key],
    onChange: (event: ChangeEvent<HTMLInputElement>) => {
      const value = event.currentTarget.value;
      setValues((current) => ({ ...current, [key]: value }));
    },
    error: errors[key],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    create.mutate(
      {
        name: values.name.trim(),
        email: values.email.trim(),
        role: values.role,
        password: values.password,
        phone: values.phone.trim() || null,
      },
      { onSuccess: onSaved },
    );
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Add user">
      <Stack gap="md">
        {create.isError && (
          <Alert color="red" role="alert" title="Not saved">
            {errorDetail(create.error)}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput label="Name" required {...field("name")} data-autofocus />
          <TextInput label="Email" type="email" required autoComplete="off" {...field("email")} />
          <Select
            label="Role"
            required
            allowDeselect={false}
            data={grantableRoles(actor).map((role) => ({
              value: role,
              label: `${ROLE_LABELS[role]}: ${ROLE_HELP[role]}`,
            }))}
            value={values.role}
            onChange={(role) =>
              role && setValues((current) => ({ ...current, role: role as Role }))
            }
          />
          <PhoneInput
            label="WhatsApp phone"
            description="Optional. Alerts come here; commands from it act as them."
            value={values.phone}
            onChange={(phone) => setValues((current) => ({ ...current, phone }))}
            error={errors.phone}
          />
          <PasswordInput
            label="First password"
            description="Share it with them privately"
            required
            autoComplete="new-password"
            {...field("password")}
          />
        </SimpleGrid>
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={create.isPending}>
            Add user
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
