/** Edit a colleague: name, email, WhatsApp phone and role. A change of role is confirmed
 * before it is saved, since it changes at once what they may see and do. */
import {
  Alert,
  Button,
  Group,
  Modal,
  Select,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from "@mantine/core";
import { useState, type FormEvent } from "react";
import { errorDetail, type Role, type User, type UserUpdate } from "../api/client";
import { grantableRoles, ROLE_LABELS } from "../auth/permissions";
import { PhoneInput } from "../components/PhoneInput";
import { formatPhone } from "../lib/format";
import { useUpdateUser } from "./queries";
import { ROLE_HELP } from "./UserForm";

type Values = { name: string; email: string; phone: string; role: Role };
type Errors = Partial<Record<keyof Values, string>>;

function valuesOf(user: User): Values {
  return {
    name: user.name,
    email: user.email,
    phone: user.phone ? formatPhone(user.phone) : "",
    role: user.role,
  };
}

/** Only what differs from the saved user is sent. */
export function userChanges(values: Values, user: User): UserUpdate {
  const changes: UserUpdate = {};
  const name = values.name.trim().replace(/\s+/g, " ");
  if (name !== user.name) changes.name = name;
  const email = values.email.trim().toLowerCase();
  if (email !== user.email) changes.email = email;
  const saved = user.phone ? formatPhone(user.phone) : "";
  if (values.phone.trim() !== saved) changes.phone = values.phone.trim() || null;
  if (values.role !== user.role) changes.role = values.role;
  return changes;
}

export function UserEditDialog({
  actor,
  user,
  onClose,
  onSaved,
}: {
  actor: User;
  user: User | null;
  onClose: () => void;
  onSaved: (user: User) => void;
}) {
  return (
    <Modal opened={user !== null} onClose={onClose} title={user ? `Edit ${user.name}` : ""}>
      {user && <EditForm actor={actor} user={user} onClose={onClose} onSaved={onSaved} />}
    </Modal>
  );
}

function EditForm({
  actor,
  user,
  onClose,
  onSaved,
}: {
  actor: User;
  user: User;
  onClose: () => void;
  onSaved: (user: User) => void;
}) {
  const update = useUpdateUser();
  const [values, setValues] = useState<Values>(() => valuesOf(user));
  const [errors, setErrors] = useState<Errors>({});
  const [confirmingRole, setConfirmingRole] = useState(false);
  const changes = userChanges(values, user);
  const dirty = Object.keys(changes).length > 0;
  const set = (key: keyof Values, value: string) => {
    setValues((current) => ({ ...current, [key]: value }));
    setErrors((current) => ({ ...current, [key]: undefined }));
    if (key === "role") setConfirmingRole(false);
  };

  const save = () => update.mutate({ id: user.id, body: changes }, { onSuccess: onSaved });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found: Errors = {};
    if (!values.name.trim()) found.name = "Enter their name.";
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim())) {
      found.email = "Enter an email address like name@example.com.";
    }
    setErrors(found);
    if (Object.keys(found).length > 0 || !dirty) return;
    if (changes.role && !confirmingRole) {
      setConfirmingRole(true);
      return;
    }
    save();
  };

  return (
    <form onSubmit={submit} noValidate aria-label={`Edit ${user.name}`}>
      <Stack gap="md">
        {update.isError && (
          <Alert color="red" role="alert" title="Not saved">
            {errorDetail(update.error)}
          </Alert>
        )}
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <TextInput
            label="Name"
            required
            maxLength={200}
            value={values.name}
            onChange={(event) => set("name", event.currentTarget.value)}
            error={errors.name}
            data-autofocus
          />
          <TextInput
            label="Email"
            type="email"
            required
            autoComplete="off"
            value={values.email}
            onChange={(event) => set("email", event.currentTarget.value)}
            error={errors.email}
          />
          <PhoneInput
            label="WhatsApp phone"
            description="Optional. Alerts come here; commands from it act as them."
            value={values.phone}
            onChange={(phone) => set("phone", phone)}
            error={errors.phone}
          />
          <Select
            label="Role"
            required
            allowDeselect={false}
            data={grantableRoles(actor).map((role) => ({
              value: role,
              label: `${ROLE_LABELS[role]}: ${ROLE_HELP[role]}`,
            }))}
            value={values.role}
            onChange={(role) => role && set("role", role)}
          />
        </SimpleGrid>
        {confirmingRole && changes.role && (
          <Alert color="yellow" title="Change the role?" role="alertdialog">
            <Text size="sm">
              {user.name} will be {ROLE_LABELS[changes.role]} instead of {ROLE_LABELS[user.role]} as
              soon as you confirm: {ROLE_HELP[changes.role].toLowerCase()}.
            </Text>
          </Alert>
        )}
        <Group justify="flex-end" gap="sm">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={update.isPending} disabled={!dirty}>
            {confirmingRole && changes.role
              ? `Yes, make ${user.name} ${ROLE_LABELS[changes.role]}`
              : "Save changes"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
