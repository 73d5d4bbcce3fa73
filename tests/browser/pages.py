"""Page objects: what a person sees and does on each dashboard page, in their words (labels,
roles, visible text), so the tests read as the steps and break only when the experience does."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import BrowserContext, ConsoleMessage, FilePayload, Locator, Page, expect

VIEWPORTS = {"laptop": (1366, 768), "tablet": (1024, 768)}
# The phone of issue 18: 390 px wide.
PHONE = (390, 844)


def field(container: Page | Locator, label: str) -> Locator:
    """A text field by its label as a screen reader announces it (without the required mark)."""
    return container.get_by_role("textbox", name=label, exact=True)


class Dashboard:
    """One browser session (its own cookies) on the dashboard."""

    def __init__(
        self, context: BrowserContext, base_url: str, shots: Path, tolerated: list[re.Pattern[str]]
    ) -> None:
        self.context = context
        self.base_url = base_url
        self.shots = shots
        self.tolerated = tolerated
        self.page = context.new_page()
        self._problems: list[str] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self._problems.append(f"uncaught: {error}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = message.text
        if any(pattern.search(text) for pattern in self.tolerated):
            return
        self._problems.append(f"console.error: {text} ({message.location.get('url', '')})")

    def tolerate(self, pattern: str) -> None:
        """An error this test provokes on purpose (a refused login shows as a failed request)."""
        self.tolerated = [*self.tolerated, re.compile(pattern)]

    def console_problems(self) -> list[str]:
        return list(self._problems)

    def goto(self, path: str = "/") -> None:
        self.page.goto(self.base_url + path)

    def sign_in_via_api(self, email: str, password: str) -> None:
        """Log in the way the login form does, without typing: the session cookies land in
        this browser session."""
        response = self.context.request.post(
            self.base_url + "/api/v1/auth/login", data={"email": email, "password": password}
        )
        assert response.ok, response.text()

    def screenshot(self, name: str) -> None:
        """The current page at laptop and tablet widths, full length."""
        page = self.page
        for label, (width, height) in VIEWPORTS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(150)  # let the layout settle after the resize
            page.screenshot(
                path=self.shots / f"{name}-{label}-{width}x{height}.png", full_page=True
            )
        page.set_viewport_size({"width": VIEWPORTS["laptop"][0], "height": VIEWPORTS["laptop"][1]})

    # --- the frame around every page -------------------------------------------------------

    @property
    def navigation(self) -> Locator:
        return self.page.get_by_role("navigation", name="Main navigation")

    def go_to_section(self, name: str) -> None:
        self.navigation.get_by_role("link", name=name).click()

    def log_out(self) -> None:
        self.page.get_by_role("button", name=re.compile(r"^Account: ")).click()
        self.page.get_by_role("menuitem", name="Log out").click()
        expect(self.page).to_have_url(re.compile(r"/login$"))


class LoginPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    def log_in(self, email: str, password: str) -> None:
        field(self.page, "Email").fill(email)
        field(self.page, "Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()

    @property
    def error(self) -> Locator:
        return self.page.get_by_role("alert")


class OverviewPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name="Overview", level=1)

    def number_card(self, label: str) -> Locator:
        return self.page.get_by_role("article", name=f"{label} health")

    @property
    def traffic(self) -> Locator:
        return self.page.get_by_role("region", name="Traffic and leads")

    @property
    def traffic_chart(self) -> Locator:
        return self.traffic.get_by_role("figure", name="Traffic and leads")

    @property
    def traffic_table(self) -> Locator:
        """The figures as screen readers get them (visually hidden)."""
        return self.traffic.get_by_role("table", name=re.compile(r"^Messages and new doctors"))

    def period(self, label: str) -> None:
        # Mantine draws the radio's label over the hidden input: click what a person sees.
        self.traffic.get_by_text(label, exact=True).click()


class NumbersPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name="WhatsApp numbers")

    @property
    def add_button(self) -> Locator:
        return self.page.get_by_role("button", name="Add number", exact=True)

    def row(self, label: str) -> Locator:
        """Everything the table says about one number (its facts and, below, any problem)."""
        return self.table.get_by_role("rowgroup").filter(
            has=self.page.get_by_role("button", name=f"{label}: details")
        )

    def edit_buttons(self) -> Locator:
        return self.page.get_by_role("button", name=re.compile(r"^Edit "))

    def refresh_buttons(self) -> Locator:
        return self.page.get_by_role("button", name=re.compile(r"^Refresh health of "))

    def add_number(self, fields: dict[str, str]) -> Locator:
        """Open the form, fill the labelled fields, submit; returns the form."""
        self.add_button.click()
        form = self.page.get_by_role("form", name="Add number")
        for label, value in fields.items():
            field(form, label).fill(value)
        return form

    def open_details(self, label: str) -> Locator:
        self.page.get_by_role("button", name=f"{label}: details").click()
        return self.page.get_by_role("dialog", name=label)


class UsersPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name="Users")

    def row(self, name: str) -> Locator:
        return self.table.get_by_role("row").filter(has_text=name)

    def add_user(self, name: str, email: str, role_option: str, password: str) -> None:
        self.page.get_by_role("button", name="Add user").click()
        form = self.page.get_by_role("form", name="Add user")
        field(form, "Name").fill(name)
        field(form, "Email").fill(email)
        form.get_by_role("combobox", name="Role", exact=True).click()
        self.page.get_by_role("option", name=re.compile(f"^{role_option}")).click()
        field(form, "First password").fill(password)
        form.get_by_role("button", name="Add user").click()
        expect(form).to_be_hidden()

    def cards(self) -> Locator:
        """One row per user (a card on a phone)."""
        return self.table.locator("tbody tr")

    def edit(self, name: str) -> Locator:
        self.page.get_by_role("button", name=f"Edit {name}", exact=True).click()
        return self.page.get_by_role("form", name=f"Edit {name}")

    def make_reset_link(self, name: str) -> str:
        """The one-time link an owner or admin gives a colleague who forgot their password."""
        self.page.get_by_role("button", name=f"Reset password of {name}").click()
        self.page.get_by_role("button", name="Make reset link").click()
        link = self.page.get_by_role("textbox", name="One-time reset link")
        expect(link).to_have_value(re.compile(r"/reset-password#token="))
        value = link.input_value()
        self.page.get_by_role("button", name="Done").click()
        return value

    def change_role(self, name: str, role: str) -> Locator:
        """Choose a role; returns the confirmation, as nothing changes before it."""
        self.page.get_by_role("combobox", name=f"Role of {name}", exact=True).click()
        self.page.get_by_role("option", name=role, exact=True).click()
        return self.page.get_by_role("dialog", name=f"Change {name}'s role?")

    def role(self, name: str) -> Locator:
        return self.page.get_by_role("combobox", name=f"Role of {name}", exact=True)


class InboxPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def conversations(self) -> Locator:
        return self.page.get_by_role("list", name="Conversation list")

    @property
    def loaded(self) -> Locator:
        """The list, or an empty inbox's note: either way the conversations have been read."""
        return self.conversations.or_(self.page.get_by_text("No conversations yet"))

    def conversation(self, doctor: str) -> Locator:
        return self.conversations.get_by_role("link", name=re.compile(f"^{re.escape(doctor)}"))

    @property
    def messages(self) -> Locator:
        return self.page.get_by_role("list", name="Messages")

    def bubble(self, text: str) -> Locator:
        """The message saying `text`, not a reply that only quotes it."""
        quoting = self.page.get_by_label("Replying to", exact=True).filter(has_text=text)
        return self.messages.get_by_role("listitem").filter(has_text=text).filter(has_not=quoting)

    def tick(self, text: str, status: str) -> Locator:
        return self.bubble(text).get_by_role("img", name=status)

    @property
    def composer(self) -> Locator:
        return field(self.page, "Message")

    @property
    def preview_dialog(self) -> Locator:
        return self.page.get_by_role("dialog", name="Preview before sending")

    def mode(self, label: str) -> Locator:
        return self.page.get_by_label(f"Mode: {label}")


class ApprovalsPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    def draft(self, doctor: str) -> Locator:
        return self.page.get_by_role("article", name=f"Draft for {doctor}")


class SettingsPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def workspace(self) -> Locator:
        return self.page.get_by_role("form", name="Workspace settings")

    @property
    def business_name(self) -> Locator:
        return field(self.workspace, "Business name")

    @property
    def ai_replies(self) -> Locator:
        return self.workspace.get_by_role("switch", name="AI replies to doctors")

    @property
    def save_button(self) -> Locator:
        return self.workspace.get_by_role("button", name="Save settings")

    @property
    def header(self) -> Locator:
        return self.page.get_by_role("banner")

    def form(self, name: str) -> Locator:
        """A form of My account: "Profile" or "Change password"."""
        return self.page.get_by_role("form", name=name)

    @property
    def time_zone(self) -> Locator:
        return self.workspace.get_by_role("textbox", name="Time zone")

    def choose_time_zone(self, typed: str, zone: str) -> None:
        """Search the time-zone picker as a person types, and pick `zone` from what it finds."""
        self.time_zone.click()
        self.page.keyboard.type(typed)
        expect(self.time_zone).to_have_value(typed)
        # Playwright reads the pattern as JavaScript: "/" must be escaped there too.
        pattern = re.compile("^" + re.escape(zone).replace("/", "\\/"))
        self.page.get_by_role("option", name=pattern).click()
        expect(self.time_zone).to_have_value(zone)


class AgentsPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name="Agent health", level=1)

    def agent(self, name: str) -> Locator:
        return self.page.get_by_role("article", name=f"{name} agent")

    def switch_buttons(self) -> Locator:
        return self.page.get_by_role("button", name=re.compile(r"^(Disable|Enable) "))

    def switch(self, name: str, action: str, reason: str | None = None) -> None:
        """Disable or Enable one agent, confirming in the dialog."""
        self.agent(name).get_by_role("button", name=f"{action} {name}").click()
        dialog = self.page.get_by_role("dialog", name=f"{action} {name}?")
        if reason is not None:
            field(dialog, "Reason (optional)").fill(reason)
        dialog.get_by_role("button", name=f"{action} {name}").click()
        expect(dialog).to_be_hidden()

    @property
    def workers(self) -> Locator:
        return self.page.get_by_role("table", name="Workers")

    @property
    def crash_reports(self) -> Locator:
        return self.page.get_by_role("region", name="Crash reports")

    def crash_report(self, agent: str) -> Locator:
        """A report's header, which opens it: its name starts with the agent's."""
        return self.crash_reports.get_by_role("button", name=re.compile(f"^{re.escape(agent)}"))


class DocumentsPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", name="Documents", level=1)

    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name="Documents")

    def row(self, title: str) -> Locator:
        return self.table.get_by_role("row").filter(has_text=title)

    def upload(self, filename: str, data: bytes, title: str | None = None) -> None:
        """Choose the file as a person does (the file chooser), title it, upload it."""
        with self.page.expect_file_chooser() as chooser:
            self.page.get_by_role("button", name="Choose a PDF").click()
        pdf: FilePayload = {"name": filename, "mimeType": "application/pdf", "buffer": data}
        chooser.value.set_files(files=[pdf])
        if title is not None:
            field(self.page, "Title").fill(title)
        self.page.get_by_role("button", name="Upload", exact=True).click()

    def view_pages(self, title: str) -> Locator:
        self.row(title).get_by_role("button", name="View pages").click()
        return self.page.get_by_role("dialog")

    def delete(self, title: str, version: int) -> None:
        self.row(title).get_by_role("button", name=f"Delete {title} v{version}").click()
        dialog = self.page.get_by_role("dialog", name="Delete this document?")
        dialog.get_by_role("button", name="Delete").click()
        expect(dialog).to_be_hidden()


class CataloguePage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def products(self) -> Locator:
        return self.page.get_by_role("table", name="Products")

    @property
    def courses(self) -> Locator:
        return self.page.get_by_role("table", name="Courses")

    def product_row(self, name: str) -> Locator:
        return self.products.get_by_role("row").filter(has_text=name)

    def course_row(self, title: str) -> Locator:
        return self.courses.get_by_role("row").filter(has_text=title)

    def search(self, text: str) -> None:
        self.page.get_by_role("textbox", name="Search products").fill(text)

    def import_file(self, name: str, content: bytes) -> Locator:
        """Open the import dialog, choose the file as a person does, import; returns the
        dialog, which then shows the report."""
        self.page.get_by_role("button", name="Import CSV or XLSX").click()
        form = self.page.get_by_role("form", name="Import products")
        with self.page.expect_file_chooser() as chooser:
            form.get_by_role("button", name="File").click()
        payload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": content}
        chooser.value.set_files(files=[payload])
        form.get_by_role("button", name="Import", exact=True).click()
        return form

    def edit_product(self, name: str) -> Locator:
        self.page.get_by_role("button", name=f"Edit {name}", exact=True).click()
        return self.page.get_by_role("form", name="Edit product")

    def open_courses(self) -> None:
        self.page.get_by_role("tab", name="Courses").click()


class SegmentsPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def saved(self) -> Locator:
        return self.page.get_by_role("table", name="Segments")

    @property
    def count(self) -> Locator:
        return self.page.get_by_test_id("segment-count")

    def row(self, name: str) -> Locator:
        return self.saved.get_by_role("row").filter(has_text=name)

    def name(self, text: str) -> None:
        field(self.page, "Name").fill(text)

    def add_value(self, label: str, value: str) -> None:
        """A value typed into a list field (specialty, city, tags) and confirmed with Enter."""
        box = self.page.get_by_role("combobox", name=label, exact=True)
        box.fill(value)
        box.press("Enter")

    def window(self, label: str, days: int) -> None:
        """A moving activity window ("Wrote to us in the last", "Nothing sent for"), in days."""
        field(self.page, label).fill(str(days))

    def choose_number(self, label: str) -> None:
        self.page.get_by_role("combobox", name="Sending number").click()
        self.page.get_by_role("option", name=label).click()

    def choose_consent(self, option: str) -> None:
        self.page.get_by_role("combobox", name="Marketing consent").click()
        self.page.get_by_role("option", name=option).click()

    def save(self) -> None:
        self.page.get_by_role("button", name=re.compile(r"^Save (segment|changes)$")).click()

    def edit(self, name: str) -> None:
        self.page.get_by_role("button", name=f"Edit {name}", exact=True).click()

    def delete(self, name: str) -> None:
        self.page.get_by_role("button", name=f"Delete {name}", exact=True).click()
        self.page.get_by_role("dialog").get_by_role("button", name="Delete").click()


class DoctorImportPage:
    """/doctors/import: choose a file, map its columns, import, read the report."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page
        self.form = self.page.get_by_role("form", name="Import doctors")

    def choose_file(self, name: str, content: bytes) -> None:
        with self.page.expect_file_chooser() as chooser:
            self.form.get_by_role("button", name="File").click()
        payload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": content}
        chooser.value.set_files(files=[payload])

    def map_column(self, field_label: str, header: str) -> None:
        self.form.get_by_role("combobox", name=field_label, exact=True).click()
        self.page.get_by_role("option", name=header, exact=True).click()

    @property
    def preview(self) -> Locator:
        return self.form.get_by_role("table", name="Preview")

    def start(self) -> Locator:
        """Import; returns the report, shown once the import has run."""
        self.form.get_by_role("button", name="Import", exact=True).click()
        return self.form.get_by_role("region", name="Import report")


class DoctorsPage:
    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name="Doctors")

    def row(self, name: str) -> Locator:
        return self.table.get_by_role("row").filter(has_text=name)

    def search(self, text: str) -> None:
        self.page.get_by_role("textbox", name="Search doctors").fill(text)

    def open_profile(self, name: str) -> None:
        self.table.get_by_role("link", name=name).click()

    def edit(self) -> Locator:
        """Open the edit dialog of the profile shown; returns it."""
        self.page.get_by_role("button", name="Edit", exact=True).click()
        return self.page.get_by_role("dialog")

    @property
    def score_card(self) -> Locator:
        return self.page.get_by_label("Score and stage")

    @property
    def timeline(self) -> Locator:
        return self.page.get_by_label("Timeline", exact=True)


class CampaignsPage:
    """The campaigns list, the create wizard and one campaign's live page."""

    def __init__(self, dashboard: Dashboard) -> None:
        self.page = dashboard.page

    # --- the list ----------------------------------------------------------------------------

    @property
    def table(self) -> Locator:
        return self.page.get_by_role("table", name="Campaigns")

    def row(self, name: str) -> Locator:
        return self.table.get_by_role("row").filter(has_text=name)

    def open(self, name: str) -> None:
        self.table.get_by_role("link", name=name, exact=True).click()

    # --- the wizard --------------------------------------------------------------------------

    def new(self) -> None:
        self.page.get_by_role("link", name="New campaign").click()

    def choose(self, label: str, option: str) -> None:
        self.page.get_by_role("combobox", name=label, exact=True).click()
        self.page.get_by_role("option", name=option, exact=True).click()

    def name(self, text: str) -> None:
        field(self.page, "Campaign name").fill(text)

    @property
    def segment_count(self) -> Locator:
        return self.page.get_by_test_id("segment-count")

    def next(self) -> None:
        self.page.get_by_role("button", name="Next", exact=True).click()

    def fill_variable(self, label: str, text: str) -> None:
        """A template variable ("Body {{2}}") filled with the same text for everyone."""
        self.choose(f"{label}: filled with", "The same text for everyone")
        field(self.page, f"{label}: text").fill(text)

    def header_media(self, filename: str, mime_type: str, data: bytes) -> None:
        """The template's header file, chosen as a person does (the file chooser): the
        dashboard uploads it at once."""
        with self.page.expect_file_chooser() as chooser:
            self.page.get_by_role("button", name="Header media").click()
        payload: FilePayload = {"name": filename, "mimeType": mime_type, "buffer": data}
        chooser.value.set_files(files=[payload])

    def quiet_hours(self, start: str, end: str) -> None:
        self.page.get_by_role("switch", name="Quiet hours: no sends at night").check()
        self.page.get_by_label("From", exact=True).fill(start)
        self.page.get_by_label("Until", exact=True).fill(end)

    @property
    def plan(self) -> Locator:
        return self.page.get_by_test_id("campaign-plan")

    def plan_figure(self, label: str) -> Locator:
        return self.plan.get_by_label(label, exact=True)

    @property
    def samples(self) -> Locator:
        return self.page.get_by_test_id("plan-sample")

    def start(self) -> None:
        self.page.get_by_role("button", name="Start", exact=True).click()

    # --- one campaign ------------------------------------------------------------------------

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("campaign-status")

    @property
    def progress(self) -> Locator:
        return self.page.get_by_test_id("progress-text").first

    def figure(self, label: str) -> Locator:
        return self.page.get_by_test_id("campaign-counts").get_by_label(label, exact=True)

    def button(self, name: str) -> Locator:
        return self.page.get_by_role("button", name=name, exact=True)

    def cancel(self) -> None:
        self.button("Cancel campaign").click()
        self.page.get_by_role("dialog", name="Cancel this campaign?").get_by_role(
            "button", name="Cancel campaign"
        ).click()

    @property
    def results(self) -> Locator:
        return self.page.get_by_test_id("campaign-results")

    @property
    def recipients(self) -> Locator:
        return self.page.get_by_role("table", name="Recipients")
