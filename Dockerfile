# dEdZ: a stateless web app; scale out with DEDZ_WORKERS or more containers.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DEDZ_HOST=0.0.0.0 \
    DEDZ_PORT=8000

WORKDIR /srv/dedz

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir app && touch app/__init__.py \
    && pip install . \
    && pip uninstall -y dedz \
    && rm -rf app

COPY app ./app
COPY static ./static
COPY templates ./templates
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --no-create-home dedz

USER dedz
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['DEDZ_PORT']}/healthz\", timeout=2)"]
CMD ["dedz"]
