/** The dashboard's sections, and who sees each one. */
import type { User } from "../api/client";
import { can, type Permission } from "../auth/permissions";

export type Section = {
  to: string;
  label: string;
  permission: Permission;
  /** A count shown beside the label. */
  badge?: "pendingDrafts";
};

export const SECTIONS: readonly Section[] = [
  { to: "/", label: "Overview", permission: "read" },
  { to: "/inbox", label: "Inbox", permission: "read" },
  { to: "/approvals", label: "Approvals", permission: "read", badge: "pendingDrafts" },
  { to: "/doctors", label: "Doctors", permission: "read" },
  { to: "/segments", label: "Segments", permission: "read" },
  { to: "/campaigns", label: "Campaigns", permission: "read" },
  { to: "/catalogue", label: "Catalogue", permission: "read" },
  { to: "/documents", label: "Documents", permission: "read" },
  { to: "/faq", label: "FAQ", permission: "read" },
  { to: "/numbers", label: "Numbers", permission: "read" },
  { to: "/agents", label: "Agents", permission: "read" },
  { to: "/users", label: "Users and roles", permission: "manage_users" },
  { to: "/settings", label: "Settings", permission: "read" },
];

export function sectionsFor(user: Pick<User, "role">): Section[] {
  return SECTIONS.filter((section) => can(user, section.permission));
}
