# The ledger's runtime image: `ledger consume`, `ledger projections run`, `ledger serve`, any
# CLI command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The printed documents (ledger.documents, WeasyPrint): Pango, HarfBuzz's subsetter
# (fonts embedded several times faster) and DejaVu for Greek.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Only what `pip install .` needs: a local .venv or ledger.db must never enter the image.
# README.md* is a glob so a checkout without the readme still copies pyproject.toml.
COPY pyproject.toml README.md* ./
COPY ledger ./ledger
COPY aggregates ./aggregates
COPY projections ./projections
COPY consumers ./consumers

# The web service's access log (W10) goes to a directory of its own, writable by the ledger's
# user (the working directory is not): docker-compose mounts a volume there.
RUN pip install . \
    && useradd --system --uid 10001 --no-create-home ledger \
    && mkdir -p /var/log/ledger && chown ledger /var/log/ledger

ENV LEDGER_ACCESS_LOG=/var/log/ledger/access.log

USER ledger

# `ledger serve --host 0.0.0.0 --port 8000`, behind the TLS proxy (docs/web.md).
EXPOSE 8000

# SIGTERM reaches the ledger process directly (exec form), so it can finish its batch,
# commit and exit 0 (interfaces §1).
CMD ["ledger", "consume"]
