FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SMARKETING_DB=/data/smarketing.db \
    SMARKETING_HTTP_PORT=8080 \
    SMARKETING_HTTP_HOST=0.0.0.0

WORKDIR /app
# Only the packages: no tests, no test fixtures (the demo portal ships inside the sandbox package), no caches.
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY sync ./sync
COPY kpi ./kpi
COPY sandbox ./sandbox
RUN pip install . \
    && rm -rf /app/connector /app/sync /app/kpi /app/sandbox /root/.cache \
    && useradd --create-home --uid 10001 smarketing \
    && mkdir -p /data && chown smarketing /data

USER smarketing
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=5)"
ENTRYPOINT ["smarketing"]
CMD ["run"]
