# syntax=docker/dockerfile:1
# One image for ingest, aggregate, api, alerts and the schema migrations (docker-compose.yml picks the
# command; the default applies the migrations).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# The runtime only: packages `hotline` and `services`, the event schemas, and exactly the
# dependencies pyproject.toml lists for the runtime ([project] dependencies, not the tools or
# test extras), at the versions the test suite last passed with (constraints.txt,
# scripts/lock.sh). No simulator, local stack, benchmark or test code or dependency.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > runtime-requirements.txt \
    && pip install -c constraints.txt -r runtime-requirements.txt
COPY hotline/ hotline/
COPY services/ services/
COPY schemas/ schemas/

# The code runs from /app (not installed): hotline.settings.REPO_ROOT is the folder above the
# package, and the shared files beside it (schemas/) are found from there.
ENV PYTHONPATH=/app \
    HOTLINE_STATE_DIR=/var/lib/hotline/state

RUN groupadd --system --gid 10001 hotline \
    && useradd --system --uid 10001 --gid hotline --home-dir /var/lib/hotline --create-home \
       --shell /usr/sbin/nologin hotline

# Sources stay root-owned and read-only to the service; the working directory is its own
# (Faust keeps its local data directory relative to it).
USER hotline
WORKDIR /var/lib/hotline

EXPOSE 8080 8090 6066
CMD ["python", "-m", "hotline.storage", "migrate"]
