# dEdZ: a stateless web app. Scale out with DEDZ_WORKERS or more containers behind any proxy.
#   docker build -t dedz . && docker run -p 8000:8000 dedz

# Stage 1: htmx (for DEDZ_HTMX_SOURCE=local) and Swagger UI (for /docs), fetched from the npm
# registry at their pinned versions and checked against their SRI by scripts/fetch_vendor.py
# (third-party code is never committed).
FROM python:3.11-slim-bookworm AS vendor
RUN apt-get update \
    && apt-get install -y --no-install-recommends npm=9.* \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY app/__init__.py app/
COPY app/web/__init__.py app/web/assets.py app/web/
COPY scripts/fetch_vendor.py scripts/
RUN python scripts/fetch_vendor.py --only htmx --only swagger

# Stage 2: the app.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEDZ_HOST=0.0.0.0 \
    DEDZ_PORT=8000 \
    DEDZ_WORKERS=2 \
    DEDZ_HTMX_SOURCE=local
WORKDIR /srv/dedz
# /figure.png draws its text with a system font (resvg finds DejaVu Sans).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core=2.37-* \
    && rm -rf /var/lib/apt/lists/*

# Dependencies in their own layer, exactly as locked (versions and hashes; `make lock` writes
# the lock from pyproject.toml, and tests/deploy/test_lock.py checks that the two agree).
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY pyproject.toml README.md ./
COPY app ./app
COPY templates ./templates
COPY static ./static
COPY --from=vendor /src/static/vendor ./static/vendor
# Editable: the app finds templates/ and static/ beside app/, here in /srv/dedz.
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --no-create-home dedz

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['DEDZ_PORT'] + '/healthz', timeout=2)"]
CMD ["dedz"]
