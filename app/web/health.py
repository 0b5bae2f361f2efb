"""Liveness."""

from fastapi import APIRouter
from starlette.responses import Response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness probe", operation_id="healthz_get")
@router.head("/healthz", include_in_schema=False)
async def healthz() -> Response:
    """Answer 200 while the process serves requests."""
    return Response(b'{"status":"ok"}', media_type="application/json")
