"""Liveness."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.responses import Response

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The liveness answer."""

    status: Literal["ok"]


@router.get("/healthz", summary="Liveness probe", operation_id="healthz_get", response_model=Health)
@router.head("/healthz", include_in_schema=False)
async def healthz() -> Response:
    """Answer 200 while the process serves requests."""
    return Response(b'{"status":"ok"}', media_type="application/json")
