"""Graph/Cloud API routes: `/graph/{version}/...` plus the media download host.

Routes stay thin: they read the request, call one `Simulator` method and return its JSON. Every
failure is a `GraphError`, rendered in Meta's error shape by the app's handler.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from surgiai.simulator.core import Simulator
from surgiai.simulator.errors import GraphError
from surgiai.simulator.validation import version_major


def get_simulator(request: Request) -> Simulator:
    return cast(Simulator, request.app.state.simulator)


SimulatorDep = Annotated[Simulator, Depends(get_simulator)]

router = APIRouter(tags=["graph"])


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.query_params.get("access_token") or None


def split_fields(fields: str | None) -> list[str] | None:
    if not fields:
        return None
    return [name.strip() for name in fields.split(",") if name.strip()]


def base_url(request: Request) -> str:
    """The simulator's own absolute base URL, mount path included (Starlette's
    `request.base_url` is the top-level app's, which misses it when mounted)."""
    root_path = request.scope.get("root_path", "")
    return str(request.url.replace(path=root_path.rstrip("/") + "/", query=""))


async def json_body(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


@router.post("/graph/{version}/{object_id}/messages")
async def post_messages(
    version: str, object_id: str, request: Request, sim: SimulatorDep
) -> JSONResponse:
    version_major(version)
    payload = await json_body(request)
    answer = sim.send_message(object_id, version, bearer_token(request), payload)
    if sim.config.send_answer_seconds:
        await asyncio.sleep(sim.config.real_delay(sim.config.send_answer_seconds))
    return JSONResponse(answer)


@router.post("/graph/{version}/{object_id}/media")
async def post_media(
    version: str, object_id: str, request: Request, sim: SimulatorDep
) -> JSONResponse:
    version_major(version)
    number = sim.authorize_number(object_id, bearer_token(request), "post")
    async with request.form() as form:
        if form.get("messaging_product") != "whatsapp":
            raise GraphError(100, "Param messaging_product must be 'whatsapp'.")
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise GraphError(100, "Param file is required and must be a file.")
        declared = form.get("type")
        data = await upload.read()
        media_id = sim.media.upload(
            number,
            data,
            upload.content_type or "",
            declared if isinstance(declared, str) else None,
            upload.filename,
        )
    return JSONResponse({"id": media_id})


@router.get("/graph/{version}/{object_id}/phone_numbers")
async def get_phone_numbers(
    version: str,
    object_id: str,
    request: Request,
    sim: SimulatorDep,
    fields: str | None = None,
) -> JSONResponse:
    version_major(version)
    numbers = sim.authorize_waba(object_id, bearer_token(request), "get")
    return JSONResponse(sim.waba_phone_numbers(numbers, split_fields(fields), version))


@router.get("/graph/{version}/{object_id}/message_templates")
async def get_message_templates(
    version: str,
    object_id: str,
    request: Request,
    sim: SimulatorDep,
    name: str | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 25,
    after: str | None = None,
    summary: str | None = None,
) -> JSONResponse:
    version_major(version)
    sim.authorize_waba(object_id, bearer_token(request), "get")
    templates = sim.templates.for_waba(object_id, name=name, status=status)
    start = _decode_cursor(after)
    page = templates[start : start + limit]
    cursors = {"before": _encode_cursor(start), "after": _encode_cursor(start + len(page))}
    paging: dict[str, Any] = {"cursors": cursors}
    if start + limit < len(templates):
        paging["next"] = str(request.url.include_query_params(after=cursors["after"]))
    body: dict[str, Any] = {"data": page, "paging": paging}
    if summary and summary != "false":
        body["summary"] = sim.templates.summary(object_id, split_fields(summary), len(templates))
    return JSONResponse(body)


@router.post("/graph/{version}/{object_id}/message_templates")
async def post_message_templates(
    version: str, object_id: str, request: Request, sim: SimulatorDep
) -> JSONResponse:
    version_major(version)
    sim.authorize_waba(object_id, bearer_token(request), "post")
    return JSONResponse(sim.templates.create(object_id, await json_body(request)))


@router.delete("/graph/{version}/{object_id}/message_templates")
async def delete_message_templates(
    version: str, object_id: str, request: Request, sim: SimulatorDep, name: str | None = None
) -> JSONResponse:
    version_major(version)
    sim.authorize_waba(object_id, bearer_token(request), "delete")
    if not name:
        raise GraphError(131008, "The parameter name is required.")
    sim.templates.delete(object_id, name)
    return JSONResponse({"success": True})


@router.get("/graph/{version}/{object_id}")
async def get_object(
    version: str,
    object_id: str,
    request: Request,
    sim: SimulatorDep,
    fields: str | None = None,
    phone_number_id: str | None = None,
) -> JSONResponse:
    version_major(version)
    token = bearer_token(request)
    kind = sim.object_kind(object_id)
    if kind == "media":
        item = sim.media.authorize(object_id, token, phone_number_id, "get")
        return JSONResponse(sim.media.info(item, base_url(request)))
    if kind == "waba":
        numbers = sim.authorize_waba(object_id, token, "get")
        return JSONResponse({"id": object_id, "name": numbers[0].verified_name})
    template = sim.templates.get(object_id) if kind == "template" else None
    if template is not None:
        sim.authorize_waba(template.waba_id, token, "get")
        return JSONResponse(template.to_graph())
    number = sim.authorize_number(object_id, token, "get")
    return JSONResponse(sim.phone_number_fields(number, split_fields(fields), version))


@router.delete("/graph/{version}/{object_id}")
async def delete_object(
    version: str,
    object_id: str,
    request: Request,
    sim: SimulatorDep,
    phone_number_id: str | None = None,
) -> JSONResponse:
    version_major(version)
    item = sim.media.authorize(object_id, bearer_token(request), phone_number_id, "delete")
    sim.media.delete(item)
    return JSONResponse({"success": True})


@router.api_route("/graph/{version}/{rest:path}", methods=["GET", "POST", "DELETE"])
async def unknown_path(version: str, rest: str, request: Request) -> JSONResponse:
    raise GraphError(100, f"Unknown path components: /{rest}")


@router.get("/whatsapp_business/attachments/")
async def download_media(
    request: Request,
    sim: SimulatorDep,
    mid: str = "",
    url_token: Annotated[str, Query(alias="hash")] = "",
) -> Response:
    result = sim.media.download(mid, url_token, bearer_token_header_only(request))
    if isinstance(result, int):
        return Response(status_code=result)
    return Response(
        content=result.data,
        media_type=result.mime_type,
        headers={"Content-Length": str(len(result.data))},
    )


def bearer_token_header_only(request: Request) -> str | None:
    """Media downloads accept the token only as an Authorization header, like Meta's CDN."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(cursor.encode()).decode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise GraphError(100, "Invalid paging cursor.") from None
