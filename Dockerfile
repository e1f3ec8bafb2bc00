# The ledger's runtime image: `ledger consume`, `ledger projections run`, any CLI command.
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

RUN pip install . \
    && useradd --system --uid 10001 --no-create-home ledger

USER ledger

# SIGTERM reaches the ledger process directly (exec form), so it can finish its batch,
# commit and exit 0 (interfaces §1).
CMD ["ledger", "consume"]
