FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SMARKETING_DB=/data/smarketing.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY connector ./connector
COPY sync ./sync
COPY kpi ./kpi
COPY sandbox ./sandbox
RUN pip install . \
    && useradd --create-home --uid 10001 smarketing \
    && mkdir -p /data && chown smarketing /data

USER smarketing
VOLUME ["/data"]
ENTRYPOINT ["smarketing"]
CMD ["demo"]
