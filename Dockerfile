# syntax=docker/dockerfile:1
# One image for ingest, aggregate, api and `hotline migrate` (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# README.m[d]: copied when present (pyproject names it), without failing the build when not.
COPY pyproject.toml constraints.txt README.m[d] ./
COPY hotline/ hotline/
COPY services/ services/
COPY schemas/ schemas/
# The versions the test suite last passed with (constraints.txt, scripts/lock.sh).
RUN pip install -c constraints.txt . && rm -rf build ./*.egg-info

# The code runs from /app, not from the installed copy: hotline.settings.REPO_ROOT is the folder
# above the package, and the shared files beside it (schemas/) are found from there.
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
CMD ["hotline", "--help"]
