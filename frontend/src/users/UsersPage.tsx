/** Users and roles: who can use the dashboard and what each may do. Owners and admins only. */
import {
  Badge,
  Button,
  Group,
  Modal,
  Select,
  Stack,
  Table,
  Text,
  Tooltip,
  VisuallyHidden,
} from "@mantine/core";
import { notifications } from "@mantine/notifications";
import { useState } from "react";
import { errorDetail, type Role, type User } from "../api/client";
import { can, canManageUser, grantableRoles, ROLE_LABELS } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { ErrorState, LoadingState, PageHeader } from "../components/states";
import { formatPhone, formatRelative } from "../lib/format";
import { useTableMinWidth } from "../components/narrow";
import { PasswordResetDialog } from "./PasswordResetDialog";
import { useUpdateUser, useUsers } from "./queries";
import { UserEditDialog } from "./UserEditDialog";
import { UserFormModal } from "./UserForm";
import classes from "../components/tables.module.css";

/** A role change takes effect at once (what the person may see and do): said and confirmed
 * first, naming the person and both roles. */
function ConfirmRoleDialog({
  user,
  role,
  onConfirm,
  onClose,
}: {
  user: User;
  role: Role | null;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal opened={role !== null} onClose={onClose} title={`Change ${user.name}'s role?`}>
      {role && (
        <Stack gap="sm">
          <Text size="sm">
            {user.name} ({user.email}) goes from <b>{ROLE_LABELS[user.role]}</b> to{" "}
            <b>{ROLE_LABELS[role]}</b>. The change applies at once, on every device they are signed
            in on.
          </Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} data-autofocus>
              Cancel
            </Button>
            <Button onClick={onConfirm}>Make {ROLE_LABELS[role]}</Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}

function RoleCell({ actor, user }: { actor: User; user: User }) {
  const update = useUpdateUser();
  const [asked, setAsked] = useState<Role | null>(null);
  if (!canManageUser(actor, user)) {
    return (
      <Tooltip label="Only an owner can change an owner">
        <Badge variant="light" color="gray" tabIndex={0}>
          {ROLE_LABELS[user.role]}
        </Badge>
      </Tooltip>
    );
  }
  function change(role: Role) {
    setAsked(null);
    update.mutate(
      { id: user.id, body: { role } },
      {
        onSuccess: (saved) =>
          notifications.show({
            color: "teal",
            title: "Role changed",
            message: `${saved.name} is now ${ROLE_LABELS[saved.role]}.`,
          }),
        onError: (error) =>
          notifications.show({
            color: "red",
            title: `Could not change ${user.name}'s role`,
            message: errorDetail(error),
          }),
      },
    );
  }
  return (
    <>
      <Select
        aria-label={`Role of ${user.name}`}
        size="xs"
        w={130}
        allowDeselect={false}
        data={grantableRoles(actor).map((role) => ({ value: role, label: ROLE_LABELS[role] }))}
        value={user.role}
        disabled={update.isPending}
        onChange={(role) => {
          if (role && role !== user.role) setAsked(role as Role);
        }}
      />
      <ConfirmRoleDialog
        user={user}
        role={asked}
        onConfirm={() => asked && change(asked)}
        onClose={() => setAsked(null)}
      />
    </>
  );
}

function ActiveCell({ actor, user }: { actor: User; user: User }) {
  const update = useUpdateUser();
  const self = actor.id === user.id;
  if (!canManageUser(actor, user)) return null;
  const deactivating = user.is_active;
  const button = (
    <Button
      size="xs"
      variant={deactivating ? "subtle" : "light"}
      color={deactivating ? "red" : "teal"}
      disabled={self}
      loading={update.isPending}
      aria-label={`${deactivating ? "Deactivate" : "Reactivate"} ${user.name}`}
      onClick={() =>
        update.mutate(
          { id: user.id, body: { is_active: !deactivating } },
          {
            onSuccess: (saved) =>
              notifications.show({
                color: "teal",
                title: saved.is_active ? "Reactivated" : "Deactivated",
                message: saved.is_active
                  ? `${saved.name} can log in again.`
                  : `${saved.name} is logged out and cannot log in.`,
              }),
            onError: (error) =>
              notifications.show({
                color: "red",
                title: `Could not change ${user.name}`,
                message: errorDetail(error),
              }),
          },
        )
      }
    >
      {deactivating ? "Deactivate" : "Reactivate"}
    </Button>
  );
  if (!self) return button;
  return (
    <Tooltip label="You cannot deactivate yourself">
      <span>{button}</span>
    </Tooltip>
  );
}

function UserActions({
  actor,
  user,
  onEdit,
  onReset,
}: {
  actor: User;
  user: User;
  onEdit: (user: User) => void;
  onReset: (user: User) => void;
}) {
  if (!canManageUser(actor, user)) return null;
  return (
    <Group gap="xs" justify="flex-end" wrap="wrap">
      <Button
        size="xs"
        variant="default"
        aria-label={`Edit ${user.name}`}
        onClick={() => onEdit(user)}
      >
        Edit
      </Button>
      {user.is_active && (
        <Button
          size="xs"
          variant="default"
          aria-label={`Reset password of ${user.name}`}
          onClick={() => onReset(user)}
        >
          Reset password
        </Button>
      )}
      <ActiveCell actor={actor} user={user} />
    </Group>
  );
}

export function UsersTable({ actor, users }: { actor: User; users: User[] }) {
  const [editing, setEditing] = useState<User | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const minWidth = useTableMinWidth(720);
  return (
    <Table.ScrollContainer minWidth={minWidth} className={classes.frame}>
      <UserEditDialog
        actor={actor}
        user={editing}
        onClose={() => setEditing(null)}
        onSaved={(saved) => {
          setEditing(null);
          notifications.show({
            color: "teal",
            title: "User saved",
            message: `${saved.name}'s details are up to date.`,
          });
        }}
      />
      <PasswordResetDialog user={resetting} onClose={() => setResetting(null)} />
      <Table verticalSpacing="sm" highlightOnHover aria-label="Users" className={classes.cards}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Name</Table.Th>
            <Table.Th scope="col">Role</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col" className={classes.compact}>
              Last login
            </Table.Th>
            <Table.Th scope="col">
              <VisuallyHidden>Actions</VisuallyHidden>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.map((user) => (
            <Table.Tr key={user.id}>
              <Table.Td>
                <Group gap={6}>
                  <Text fw={600} size="sm">
                    {user.name}
                  </Text>
                  {user.id === actor.id && (
                    <Badge size="xs" variant="outline">
                      you
                    </Badge>
                  )}
                </Group>
                <Text size="sm" c="dimmed">
                  {user.email}
                  {user.phone ? ` · ${formatPhone(user.phone)}` : ""}
                </Text>
              </Table.Td>
              <Table.Td>
                <RoleCell actor={actor} user={user} />
              </Table.Td>
              <Table.Td className={classes.compact}>
                {user.is_active ? (
                  <Badge color="teal" variant="light">
                    Active
                  </Badge>
                ) : (
                  <Badge color="gray" variant="outline">
                    Deactivated
                  </Badge>
                )}
              </Table.Td>
              <Table.Td className={classes.compact} data-label="Last login">
                <Text size="sm" span>
                  {formatRelative(user.last_login_at)}
                </Text>
              </Table.Td>
              <Table.Td className={classes.actions}>
                <UserActions actor={actor} user={user} onEdit={setEditing} onReset={setResetting} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function UsersPage() {
  const actor = useCurrentUser();
  const allowed = can(actor, "manage_users");
  const users = useUsers({ enabled: allowed });
  const [adding, setAdding] = useState(false);

  if (!allowed) {
    return (
      <>
        <PageHeader title="Users and roles" />
        <ErrorState
          title="Not available for your role"
          error={new Error(`Your role (${ROLE_LABELS[actor.role]}) cannot manage users.`)}
        />
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Users and roles"
        description="Owners and admins add colleagues and choose what each may do. Only owners manage owners."
        actions={<Button onClick={() => setAdding(true)}>Add user</Button>}
      />
      {users.isPending ? (
        <LoadingState label="Loading users…" />
      ) : users.isError ? (
        <ErrorState
          title="Could not load the users"
          error={users.error}
          onRetry={() => void users.refetch()}
        />
      ) : (
        <UsersTable actor={actor} users={users.data} />
      )}
      <UserFormModal
        actor={actor}
        opened={adding}
        onClose={() => setAdding(false)}
        onSaved={(user) => {
          setAdding(false);
          notifications.show({
            color: "teal",
            title: "User added",
            message: `${user.name} can now log in as ${ROLE_LABELS[user.role]}.`,
          });
        }}
      />
    </>
  );
}
