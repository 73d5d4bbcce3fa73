import matrix from "../api/roles.json";
import { aUser } from "../test/fixtures";
import { can, canManageUser, grantableRoles, PERMISSIONS, ROLES } from "./permissions";

describe("permissions", () => {
  it("knows every role and permission the backend has", () => {
    expect(Object.keys(matrix).sort()).toEqual([...ROLES].sort());
    const backend = new Set(Object.values(matrix).flat());
    expect([...backend].sort()).toEqual([...PERMISSIONS].sort());
  });

  it("follows the backend's matrix", () => {
    expect(can(aUser({ role: "admin" }), "manage_numbers")).toBe(true);
    expect(can(aUser({ role: "agent" }), "manage_numbers")).toBe(false);
    expect(can(aUser({ role: "viewer" }), "converse")).toBe(false);
    expect(can(null, "read")).toBe(false);
  });

  it("keeps the owner role for owners", () => {
    const admin = aUser({ role: "admin" });
    expect(grantableRoles(admin)).toEqual(["admin", "agent", "viewer"]);
    expect(grantableRoles(aUser({ role: "owner" }))).toContain("owner");
    expect(canManageUser(admin, aUser({ role: "owner" }))).toBe(false);
    expect(canManageUser(admin, aUser({ role: "agent" }))).toBe(true);
    expect(canManageUser(aUser({ role: "agent" }), aUser({ role: "viewer" }))).toBe(false);
  });
});
