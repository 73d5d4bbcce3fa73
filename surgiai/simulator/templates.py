"""Message templates: registration (control), creation and approval (Graph), status changes
with `message_template_status_update` webhooks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from surgiai.errors import NotFound
from surgiai.simulator.errors import GraphError
from surgiai.simulator.ids import new_graph_id
from surgiai.simulator.schemas import ManagementEvent, TemplateRegistration
from surgiai.simulator.state import Template

if TYPE_CHECKING:
    from surgiai.simulator.core import Simulator

TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
TEMPLATE_CATEGORIES = frozenset({"MARKETING", "UTILITY", "AUTHENTICATION"})
SUMMARY_FIELDS = (
    "total_count",
    "message_template_count",
    "message_template_limit",
    "are_translations_complete",
)


class TemplateRegistry:
    def __init__(self, simulator: Simulator) -> None:
        self._sim = simulator

    def get(self, template_id: str) -> Template | None:
        with self._sim.lock:
            return self._sim.state.templates.get(template_id)

    def register(self, registration: TemplateRegistration) -> Template:
        with self._sim.lock:
            existing = self._sim.state.find_template(
                registration.waba_id, registration.name, registration.language
            )
            template_id = registration.template_id or (
                existing.template_id if existing else new_graph_id(self._sim.rng)
            )
            if existing is not None:
                del self._sim.state.templates[existing.template_id]
            template = Template(
                template_id=template_id,
                waba_id=registration.waba_id,
                name=registration.name,
                language=registration.language,
                category=registration.category,
                status=registration.status.upper(),
                components=registration.components,
                parameter_format=registration.parameter_format,
                paced=registration.paced,
                held_outcome=registration.held_outcome,
            )
            self._sim.state.templates[template_id] = template
            return template

    def create(self, waba_id: str, payload: Any) -> dict[str, Any]:
        """`POST /{waba-id}/message_templates`: PENDING, approved later (or via control)."""
        if not isinstance(payload, dict):
            raise GraphError(100, "The request body must be a JSON object.")
        name = payload.get("name")
        if not isinstance(name, str) or not TEMPLATE_NAME.match(name):
            raise GraphError(
                100, "Param name must be at most 512 lowercase letters, digits or underscores."
            )
        language = payload.get("language")
        if not isinstance(language, str) or not language:
            raise GraphError(100, "Param language is required.")
        category = str(payload.get("category", "")).upper()
        if category not in TEMPLATE_CATEGORIES:
            raise GraphError(100, "Param category must be MARKETING, UTILITY or AUTHENTICATION.")
        components = payload.get("components")
        if not isinstance(components, list) or not any(
            isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY" for c in components
        ):
            raise GraphError(100, "Param components must include a BODY component.")
        parameter_format = str(payload.get("parameter_format", "POSITIONAL")).upper()
        if parameter_format not in ("POSITIONAL", "NAMED"):
            raise GraphError(100, "Param parameter_format must be POSITIONAL or NAMED.")
        with self._sim.lock:
            if self._sim.state.find_template(waba_id, name, language) is not None:
                raise GraphError(
                    100,
                    f"Content in this language already exists for template {name} ({language}).",
                    subcode=2388024,
                )
            # The limit counts template names: a new translation of one takes no place.
            names = {t.name for t in self._sim.state.templates.values() if t.waba_id == waba_id}
            if name not in names and len(names) >= self._sim.config.max_templates_per_waba:
                raise GraphError(
                    100,
                    f"The WABA already holds {len(names)} message templates, the maximum.",
                    subcode=2388023,
                )
            template = self.register(
                TemplateRegistration(
                    waba_id=waba_id,
                    name=name,
                    language=language,
                    category=category,
                    status="PENDING",
                    components=components,
                    parameter_format=parameter_format,
                )
            )
        if self._sim.config.auto_approve_templates:
            template_id = template.template_id
            self._sim.scheduler.schedule(
                self._sim.config.real_delay(self._sim.config.template_approval_delay),
                lambda: self._auto_approve(template_id),
            )
        return {"id": template.template_id, "status": "PENDING", "category": category}

    def _auto_approve(self, template_id: str) -> None:
        with self._sim.lock:
            template = self._sim.state.templates.get(template_id)
            if template is None or template.status != "PENDING":
                return
        self.set_status(template_id, "APPROVED", reason="NONE", emit_webhook=True)

    def set_status(
        self, template_id: str, status: str, *, reason: str, emit_webhook: bool
    ) -> Template:
        with self._sim.lock:
            template = self._sim.state.templates.get(template_id)
            if template is None:
                raise NotFound(f"unknown template {template_id}")
            template.status = status.upper()
            numbers = self._sim.state.numbers_in_waba(template.waba_id)
            if emit_webhook and numbers:
                graph_id: int | str = (
                    int(template.template_id)
                    if template.template_id.isdigit()
                    else template.template_id
                )
                value: dict[str, Any] = {
                    "event": template.status,
                    "message_template_id": graph_id,
                    "message_template_name": template.name,
                    "message_template_language": template.language,
                    "reason": reason,
                    "message_template_category": template.category,
                }
                self._sim.emit_management(
                    ManagementEvent(
                        field="message_template_status_update",
                        value=value,
                        waba_id=template.waba_id,
                        apply=False,
                    )
                )
            return template

    def for_waba(
        self, waba_id: str, *, name: str | None, status: str | None
    ) -> list[dict[str, Any]]:
        with self._sim.lock:
            templates = [
                template.to_graph()
                for template in self._sim.state.templates.values()
                if template.waba_id == waba_id
                and (name is None or template.name == name)
                and (status is None or template.status == status.upper())
            ]
        return templates

    def summary(self, waba_id: str, fields: list[str] | None, total_count: int) -> dict[str, Any]:
        """`summary=` of `GET /{waba-id}/message_templates`: the named fields, or all of them
        for `summary=true`. `total_count` counts the listing (filters applied); the template
        count and limit count names, as Meta's limit does (translations are free)."""
        requested = list(SUMMARY_FIELDS) if fields is None or fields == ["true"] else fields
        with self._sim.lock:
            owned = [t for t in self._sim.state.templates.values() if t.waba_id == waba_id]
        languages_by_name: dict[str, set[str]] = {}
        for template in owned:
            languages_by_name.setdefault(template.name, set()).add(template.language)
        every_language = set().union(*languages_by_name.values())
        values: dict[str, Any] = {
            "total_count": total_count,
            "message_template_count": len(languages_by_name),
            "message_template_limit": self._sim.config.max_templates_per_waba,
            # Every template exists in every language the WABA uses.
            "are_translations_complete": all(
                languages == every_language for languages in languages_by_name.values()
            ),
        }
        summary: dict[str, Any] = {}
        for name in requested:
            if name not in values:
                raise GraphError(
                    100,
                    f"Param summary must list fields among {', '.join(SUMMARY_FIELDS)}; "
                    f"{name} is not one.",
                )
            summary[name] = values[name]
        return summary

    def delete(self, waba_id: str, name: str) -> None:
        with self._sim.lock:
            templates = self._sim.state.templates_named(waba_id, name)
            if not templates:
                raise GraphError(100, f"Message template {name} was not found.")
            for template in templates:
                del self._sim.state.templates[template.template_id]
