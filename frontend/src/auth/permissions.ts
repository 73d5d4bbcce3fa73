/**
 * What each role may do, from the backend's own matrix (`surgiai/auth/roles.py`, written to
 * `api/roles.json` by `make api-client`). The dashboard hides or disables what the signed-in
 * user's role cannot do; the API enforces it regardless.
 */
import matrix from "../api/roles.json";
import type { Role, User } from "../api/client";

export const PERMISSIONS = [
  "read",
  "converse",
  "manage_numbers",
  "manage_users",
  "manage_owners",
  "view_audit",
  "manage_settings",
  "manage_knowledge",
  "send_campaigns",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES: readonly Role[] = ["owner", "admin", "agent", "viewer"];

export const ROLE_LABELS: Record<Role, string> = {
  owner: "Owner",
  admin: "Admin",
  agent: "Agent",
  viewer: "Viewer",
};

const granted: Record<string, readonly string[]> = matrix;

export function can(user: Pick<User, "role"> | null | undefined, permission: Permission): boolean {
  return user != null && (granted[user.role] ?? []).includes(permission);
}

/** Roles `actor` may give to someone: only owners grant the owner role. */
export function grantableRoles(actor: Pick<User, "role">): Role[] {
  return ROLES.filter((role) => role !== "owner" || can(actor, "manage_owners"));
}

/** Whether `actor` may change or remove `target`: only owners touch owners. */
export function canManageUser(actor: Pick<User, "role">, target: Pick<User, "role">): boolean {
  if (!can(actor, "manage_users")) return false;
  return target.role !== "owner" || can(actor, "manage_owners");
}
