# The product as one image: `extranet-bot` is the entry point, the process is the argument
# (serve, worker, scheduler, db upgrade…). Runs as an unprivileged user; the knowledge base,
# templates and lists are installed inside (share/extranet-bot/data).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY access ./access
COPY bot ./bot
COPY common ./common
COPY faq ./faq
COPY helpdesk ./helpdesk
COPY migrations ./migrations
COPY scheduling ./scheduling
COPY data ./data
RUN python -m venv /opt/extranet-bot \
    && /opt/extranet-bot/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /srv/extranet-bot --create-home extranet
COPY --from=build /opt/extranet-bot /opt/extranet-bot
ENV PATH=/opt/extranet-bot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    LOG_FORMAT=json
USER extranet
WORKDIR /srv/extranet-bot
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=4)"
ENTRYPOINT ["extranet-bot"]
CMD ["serve"]
