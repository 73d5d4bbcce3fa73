/** Settings: how the workspace behaves for the whole team (owners and admins change it, the
 * others see it) and the signed-in user's own account. */
import { Paper, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useEffect, useRef } from "react";
import { useLocation } from "react-router";
import { can, ROLE_LABELS } from "../auth/permissions";
import { useCurrentUser } from "../auth/session";
import { ErrorState, LoadingState, PageHeader } from "../components/states";
import { PasswordForm, ProfileForm } from "./AccountForms";
import { useWorkspaceSettings } from "./queries";
import { WorkspaceForm } from "./WorkspaceForm";

function WorkspaceSection() {
  const user = useCurrentUser();
  const settings = useWorkspaceSettings();
  return (
    <Paper withBorder p="lg" radius="md" component="section" aria-labelledby="workspace-heading">
      <Title order={2} size="h3" id="workspace-heading" mb="xs">
        Workspace
      </Title>
      {settings.isPending ? (
        <LoadingState label="Loading the settings…" />
      ) : settings.isError ? (
        <ErrorState
          title="Could not load the settings"
          error={settings.error}
          onRetry={() => void settings.refetch()}
        />
      ) : (
        <WorkspaceForm
          settings={settings.data}
          editable={can(user, "manage_settings")}
          roleLabel={ROLE_LABELS[user.role]}
        />
      )}
    </Paper>
  );
}

function AccountSection() {
  const user = useCurrentUser();
  const { hash } = useLocation();
  const section = useRef<HTMLElement>(null);
  // The account menu links here.
  useEffect(() => {
    if (hash === "#account") section.current?.scrollIntoView({ block: "start" });
  }, [hash]);
  return (
    <Paper
      ref={section}
      id="account"
      withBorder
      p="lg"
      radius="md"
      component="section"
      aria-labelledby="account-heading"
    >
      <Title order={2} size="h3" id="account-heading">
        My account
      </Title>
      <Text size="sm" c="dimmed" mb="md">
        Signed in as {user.email} ({ROLE_LABELS[user.role]}).
      </Text>
      <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="xl">
        {/* Keyed by user: another sign-in in this tab starts from that user's values. */}
        <ProfileForm key={user.id} user={user} />
        <PasswordForm key={`password-${user.id}`} />
      </SimpleGrid>
    </Paper>
  );
}

export function SettingsPage() {
  return (
    <>
      <PageHeader
        title="Settings"
        description="How SurgiAI behaves for your whole team, and your own account. Changes apply at once, without a restart."
      />
      <Stack gap="xl" maw={960}>
        <WorkspaceSection />
        <AccountSection />
      </Stack>
    </>
  );
}
