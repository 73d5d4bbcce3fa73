/** The signed-in frame: header, navigation (a drawer on narrow screens) and the page. */
import {
  AppShell,
  Badge,
  Avatar,
  Burger,
  Group,
  Menu,
  NavLink,
  Text,
  UnstyledButton,
} from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { Suspense } from "react";
import { Link, Outlet, useMatch, useNavigate } from "react-router";
import { usePendingCount } from "../approvals/queries";
import { ROLE_LABELS } from "../auth/permissions";
import { useCurrentUser, useLogout } from "../auth/session";
import { LoadingState } from "../components/states";
import { BusinessName } from "../settings/BusinessName";
import { ConnectionIndicator } from "./ConnectionIndicator";
import { sectionsFor, type Section } from "./navigation";
import classes from "./AppLayout.module.css";

function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word.charAt(0).toUpperCase())
    .join("");
}

function PendingDraftsBadge() {
  const count = usePendingCount();
  if (!count) return null;
  return (
    <Badge size="sm" color="yellow" variant="filled" aria-label={`${count} waiting`}>
      {count >= 100 ? "99+" : count}
    </Badge>
  );
}

function SectionLink({ section, onNavigate }: { section: Section; onNavigate: () => void }) {
  const active = useMatch({ path: section.to, end: section.to === "/" }) !== null;
  return (
    <NavLink
      component={Link}
      to={section.to}
      label={section.label}
      rightSection={section.badge === "pendingDrafts" ? <PendingDraftsBadge /> : undefined}
      active={active}
      aria-current={active ? "page" : undefined}
      onClick={onNavigate}
      className={classes.navLink}
    />
  );
}

export function AppLayout() {
  const user = useCurrentUser();
  const [opened, { toggle, close }] = useDisclosure(false);
  const logout = useLogout();
  const navigate = useNavigate();

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }}
      padding="lg"
    >
      <a href="#main" className={classes.skipLink}>
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label={opened ? "Close navigation" : "Open navigation"}
            />
            <BusinessName />
          </Group>
          <Group gap="md" wrap="nowrap">
            <ConnectionIndicator />
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <UnstyledButton aria-label={`Account: ${user.name}`} className={classes.account}>
                  <Group gap="xs" wrap="nowrap">
                    <Avatar size="sm" color="teal" radius="xl">
                      {initials(user.name) || "?"}
                    </Avatar>
                    <div className={classes.accountText}>
                      <Text size="sm" fw={500} lh={1.2}>
                        {user.name}
                      </Text>
                      <Text size="xs" c="dimmed" lh={1.2}>
                        {ROLE_LABELS[user.role]}
                      </Text>
                    </div>
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{user.email}</Menu.Label>
                <Menu.Item component={Link} to="/settings#account">
                  My account
                </Menu.Item>
                <Menu.Item
                  onClick={() =>
                    logout.mutate(undefined, {
                      onSettled: () => navigate("/login", { replace: true }),
                    })
                  }
                >
                  Log out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>

      <AppShell.Navbar p="sm" aria-label="Main navigation">
        {sectionsFor(user).map((section) => (
          <SectionLink key={section.to} section={section} onNavigate={close} />
        ))}
      </AppShell.Navbar>

      <AppShell.Main id="main" tabIndex={-1} className={classes.main}>
        <div className={classes.content}>
          <Suspense fallback={<LoadingState label="Loading…" />}>
            <Outlet />
          </Suspense>
        </div>
      </AppShell.Main>
    </AppShell>
  );
}
