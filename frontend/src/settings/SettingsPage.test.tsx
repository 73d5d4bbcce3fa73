import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { notifications } from "@mantine/notifications";
import type { Template, WorkspaceSettings } from "../api/client";
import { applyEvent } from "../realtime/events";
import { aUser, fakeFetch } from "../test/fixtures";
import { fill, renderWithProviders } from "../test/render";
import { SettingsPage } from "./SettingsPage";
import { changesBetween, fitsAlert, templateOptions } from "./WorkspaceForm";

function someSettings(overrides: Partial<WorkspaceSettings> = {}): WorkspaceSettings {
  return {
    business_name: "Acme Surgical",
    ai_replies_enabled: true,
    burst_seconds: 3,
    whatsapp_alerts_enabled: true,
    alert_template: null,
    alert_template_language: "en",
    timezone: "Asia/Kolkata",
    default_region: "IN",
    answer_policy: "approved_only",
    agents_enabled_on_server: true,
    updated_at: null,
    updated_by_user_id: null,
    updated_by_name: null,
    ...overrides,
  };
}

function aTemplate(overrides: Partial<Template> = {}): Template {
  return {
    id: 1,
    waba_id: "900000000000001",
    template_id: "1",
    name: "ops_alert",
    language: "en",
    status: "APPROVED",
    sendable: true,
    category: "UTILITY",
    parameter_format: "POSITIONAL",
    quality: null,
    rejected_reason: null,
    components: [],
    header_format: null,
    header_text: null,
    body_text: "Alert: {{1}}",
    footer_text: null,
    button_texts: [],
    variables: { body: ["1"] },
    synced_at: "2025-01-01T10:00:00+00:00",
    updated_at: "2025-01-01T10:00:00+00:00",
    ...overrides,
  };
}

// Test files share one jsdom (vite.config.ts): toasts shown here must not show up in theirs.
afterEach(() => notifications.clean());

function serve(routes: Parameters<typeof fakeFetch>[0]) {
  const fake = fakeFetch({
    "GET /api/v1/settings": { status: 200, body: someSettings() },
    "GET /api/v1/templates": { status: 200, body: { items: [aTemplate()], syncs: [] } },
    ...routes,
  });
  vi.stubGlobal("fetch", fake.fetch);
  return fake.calls;
}

function workspaceForm() {
  return screen.findByRole("form", { name: "Workspace settings" });
}

describe("SettingsPage for a viewer", () => {
  it("shows the workspace read-only, says why, and still offers their own account", async () => {
    serve({});
    renderWithProviders(<SettingsPage />, { user: aUser({ role: "viewer" }) });

    const form = await workspaceForm();
    expect(within(form).getByText(/Your role \(Viewer\) can\s+see them/)).toBeInTheDocument();
    expect(within(form).getByLabelText(/^Business name/)).toHaveAttribute("readonly");
    expect(within(form).getByRole("switch", { name: /AI replies/ })).toBeDisabled();
    expect(within(form).queryByRole("button", { name: "Save settings" })).not.toBeInTheDocument();
    expect(screen.getByRole("form", { name: "Profile" })).toBeInTheDocument();
    expect(screen.getByRole("form", { name: "Change password" })).toBeInTheDocument();
  });
});

describe("SettingsPage for an admin", () => {
  it("sends only what changed and confirms the save", async () => {
    const user = userEvent.setup();
    const saved = someSettings({
      business_name: "Rao Surgicals",
      ai_replies_enabled: false,
      updated_at: "2025-01-02T10:00:00+00:00",
      updated_by_name: "Adam",
    });
    const calls = serve({ "PATCH /api/v1/settings": { status: 200, body: saved } });
    renderWithProviders(<SettingsPage />, { user: aUser({ role: "admin" }) });

    const form = await workspaceForm();
    const save = within(form).getByRole("button", { name: "Save settings" });
    expect(save).toBeDisabled();
    const name = within(form).getByLabelText(/^Business name/);
    await user.clear(name);
    await fill(user, name, "Rao Surgicals");
    await user.click(within(form).getByRole("switch", { name: /AI replies/ }));
    await user.click(save);

    expect(await screen.findByText("Settings saved")).toBeInTheDocument();
    const patch = calls.find((request) => request.method === "PATCH")!;
    expect(await patch.json()).toEqual({
      business_name: "Rao Surgicals",
      ai_replies_enabled: false,
    });
    expect(within(form).getByText(/Last changed .* by Adam/)).toBeInTheDocument();
    expect(save).toBeDisabled();
  });

  it("shows the server's refusal in the form", async () => {
    const user = userEvent.setup();
    serve({
      "PATCH /api/v1/settings": {
        status: 422,
        body: { error: "Unprocessable", detail: "The template “ops_alert” is not approved." },
      },
    });
    renderWithProviders(<SettingsPage />, { user: aUser({ role: "owner" }) });

    const form = await workspaceForm();
    const burst = within(form).getByLabelText(/^Wait for a doctor/);
    await user.clear(burst);
    await fill(user, burst, "75");
    await user.click(within(form).getByRole("button", { name: "Save settings" }));
    expect(within(form).getByText("A number of seconds from 0 to 60.")).toBeInTheDocument();

    await user.clear(burst);
    await fill(user, burst, "1.5");
    await user.click(within(form).getByRole("button", { name: "Save settings" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("is not approved");
  });

  it("follows a colleague's change live while nothing is being edited", async () => {
    serve({});
    const { queryClient } = renderWithProviders(<SettingsPage />, {
      user: aUser({ role: "admin" }),
    });
    const form = await workspaceForm();

    act(() =>
      applyEvent(queryClient, {
        type: "settings.updated",
        data: someSettings({ business_name: "Changed Elsewhere", updated_by_name: "Olivia" }),
      }),
    );

    expect(await within(form).findByDisplayValue("Changed Elsewhere")).toBe(
      within(form).getByLabelText(/^Business name/),
    );
  });
});

describe("My account", () => {
  it("checks the new password before sending it, and shows a wrong current one", async () => {
    const user = userEvent.setup();
    const calls = serve({
      "POST /api/v1/auth/me/password": {
        status: 400,
        body: { error: "BadRequest", detail: "Your current password is not right." },
      },
    });
    renderWithProviders(<SettingsPage />, { user: aUser({ role: "agent" }) });
    const form = await screen.findByRole("form", { name: "Change password" });

    await fill(user, within(form).getByLabelText(/^Current password/), "old password");
    await fill(user, within(form).getByLabelText(/^New password/), "new password 1");
    await fill(user, within(form).getByLabelText(/^Confirm new password/), "new password 2");
    await user.click(within(form).getByRole("button", { name: "Change password" }));
    expect(within(form).getByText("Type the new password again, exactly.")).toBeInTheDocument();
    expect(calls.some((request) => request.method === "POST")).toBe(false);

    await user.clear(within(form).getByLabelText(/^Confirm new password/));
    await fill(user, within(form).getByLabelText(/^Confirm new password/), "new password 1");
    await user.click(within(form).getByRole("button", { name: "Change password" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent(
      "Your current password is not right.",
    );
  });

  it("shows how the server will save a phone typed without its country code", async () => {
    const user = userEvent.setup();
    const calls = serve({
      "POST /api/v1/settings/phone-preview": {
        status: 200,
        body: {
          wa_id: "919876543210",
          international: "+91 98765 43210",
          region: "IN",
          problem: null,
          default_region: "IN",
        },
      },
    });
    renderWithProviders(<SettingsPage />, { user: aUser({ role: "agent" }) });
    const form = await screen.findByRole("form", { name: "Profile" });

    await fill(user, within(form).getByLabelText(/^WhatsApp phone/), "98765 43210");

    expect(await within(form).findByTestId("phone-preview")).toHaveTextContent(
      "Will be saved as +91 98765 43210",
    );
    const asked = calls.find((request) => request.url.endsWith("/phone-preview"));
    expect(await asked?.json()).toEqual({ phone: "98765 43210" });
  });
});

describe("alert templates", () => {
  it("offers approved templates, greying out those the alert text cannot fill", () => {
    const options = templateOptions(
      [
        aTemplate(),
        aTemplate({ id: 2, name: "two_params", variables: { body: ["1", "2"] } }),
        aTemplate({ id: 3, name: "media", header_format: "IMAGE" }),
      ],
      {
        business_name: "x",
        ai_replies_enabled: true,
        burst_seconds: 3,
        whatsapp_alerts_enabled: true,
        alert_template: "legacy_alert",
        alert_template_language: "en_US",
        timezone: "UTC",
        default_region: "IN",
        answer_policy: "approved_only",
      },
    );

    expect(options.map((option) => [option.label, option.disabled ?? false])).toEqual([
      ["None: alert only inside the 24-hour window", false],
      ["legacy_alert (en_US) · not synced as approved", false],
      ["media (en) · needs exactly one body parameter", true],
      ["ops_alert (en)", false],
      ["two_params (en) · needs exactly one body parameter", true],
    ]);
    expect(fitsAlert(aTemplate({ parameter_format: "NAMED" }))).toBe(false);
  });
});

describe("time zone", () => {
  it("sends the time zone only when it changed", () => {
    const saved = someSettings();
    const values = {
      business_name: saved.business_name,
      ai_replies_enabled: saved.ai_replies_enabled,
      burst_seconds: saved.burst_seconds,
      whatsapp_alerts_enabled: saved.whatsapp_alerts_enabled,
      alert_template: saved.alert_template,
      alert_template_language: saved.alert_template_language,
      timezone: saved.timezone,
      default_region: saved.default_region,
      answer_policy: saved.answer_policy,
    };
    expect(changesBetween(values, saved)).toEqual({});
    expect(changesBetween({ ...values, timezone: "Europe/Berlin" }, saved)).toEqual({
      timezone: "Europe/Berlin",
    });
    expect(changesBetween({ ...values, answer_policy: "allow_documents" }, saved)).toEqual({
      answer_policy: "allow_documents",
    });
  });

  it("shows the team's time zone on the settings page", async () => {
    serve({});
    renderWithProviders(<SettingsPage />, { user: aUser({ role: "owner" }) });

    const form = await workspaceForm();
    expect(within(form).getByLabelText(/^Time zone/)).toHaveValue("Asia/Kolkata");
  });

  it("finds Kolkata from the server's list, typing replacing the query", async () => {
    const user = userEvent.setup();
    const kolkata = {
      name: "Asia/Kolkata",
      city: "Kolkata",
      country: "India",
      utc_offset: "+05:30",
      abbreviation: "IST",
      aliases: ["Asia/Calcutta"],
      keywords: ["asia", "kolkata", "calcutta", "india", "+05:30", "ist"],
    };
    const calls = serve({
      "GET /api/v1/settings": { status: 200, body: someSettings({ timezone: "UTC" }) },
      "GET /api/v1/settings/time-zones": { status: 200, body: [kolkata] },
      "PATCH /api/v1/settings": {
        status: 200,
        body: someSettings({ timezone: "Asia/Kolkata" }),
      },
    });
    renderWithProviders(<SettingsPage />, { user: aUser({ role: "owner" }) });
    const form = await workspaceForm();
    const picker = within(form).getByLabelText(/^Time zone/);
    expect(picker).toHaveValue("UTC");

    await user.click(picker);
    await user.keyboard("Calcutta");

    expect(picker).toHaveValue("Calcutta");
    const searched = () =>
      calls
        .filter((request) => new URL(request.url).pathname.endsWith("/time-zones"))
        .map((request) => new URL(request.url).searchParams.get("q"));
    await waitFor(() => expect(searched()).toContain("Calcutta"));
    // jsdom runs no transitions: the open dropdown counts as hidden (as in TrafficTrend.test).
    await user.click(await screen.findByRole("option", { name: /Asia\/Kolkata/, hidden: true }));
    expect(picker).toHaveValue("Asia/Kolkata");
    await user.click(within(form).getByRole("button", { name: /Save/ }));
    const saved = calls.find((request) => request.method === "PATCH");
    expect(await saved?.json()).toEqual({ timezone: "Asia/Kolkata" });
  });
});
