"""The fake's Graph API routes: what Meta answers our sender (sends, media lookups, downloads)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from simulators.whatsapp_errors import GraphError, unknown_object
from simulators.whatsapp_fake_state import FakeGraph, WithHeaders

_VERSION = re.compile(r"^v\d+\.\d+$")


def add_graph_routes(app: FastAPI, fake: FakeGraph) -> None:
    """What Meta's Graph API answers: sends, media lookups and media downloads."""

    @app.post("/{version}/{phone_number_id}/messages")
    async def send_message(version: str, phone_number_id: str, request: Request) -> Response:
        try:
            _check_version(version)
            fake.check_token(request)
            try:
                body = json.loads(await request.body())
            except ValueError:
                raise GraphError(100, "The request body is not valid JSON.") from None
            result, headers = await fake.accept_send(phone_number_id, body)
            return JSONResponse(result, headers=headers)
        except WithHeaders as wrapped:
            return _graph_error(wrapped.error, wrapped.headers)
        except GraphError as error:
            return _graph_error(error)

    @app.get("/whatsapp_business/attachments/")
    async def download_media(request: Request) -> Response:
        try:
            fake.check_token(request)
        except GraphError as error:
            return _graph_error(error)
        media = fake.media.get(request.query_params.get("mid", ""))
        if media is None:
            return Response(status_code=404)
        return Response(content=media[1], media_type=media[0])

    @app.get("/{version}/{media_id}")
    async def media_url(version: str, media_id: str, request: Request) -> Response:
        try:
            _check_version(version)
            fake.check_token(request)
            if media_id not in fake.media:
                raise unknown_object(media_id, "get")
        except GraphError as error:
            return _graph_error(error)
        mime, content = fake.media[media_id]
        base = str(request.base_url).rstrip("/")
        query = f"mid={media_id}&ext={int(time.time())}&hash={secrets.token_urlsafe(8)}"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": f"{base}/whatsapp_business/attachments/?{query}",
                "mime_type": mime,
                "sha256": hashlib.sha256(content).hexdigest(),
                "file_size": len(content),
                "id": media_id,
            }
        )


def _check_version(version: str) -> None:
    if not _VERSION.match(version):
        raise GraphError(2500, message=f"Unknown path components: /{version}", error_type="OAuthException")


def _graph_error(error: GraphError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error.envelope(), status_code=error.status, headers=headers or {})
