"""How fast the sandbox starts and serves contact pages, so it is never the bottleneck of a benchmark.

Starts ``smarketing sandbox --contacts N --seed S`` as its own process (as users and the benchmarks
run it), times start-up until the first authenticated answer, then walks every contact page
(limit 100, the properties a sync asks for) over one keep-alive connection and reports pages/s.

    python -m bench.sandbox_pages [--contacts 100000] [--seed 1] [--passes 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests

from sandbox import DEFAULT_TOKEN

SYNC_PROPERTIES = [
    "email", "firstname", "lastname", "company", "jobtitle", "lifecyclestage", "hs_lead_status",
    "hubspot_owner_id", "hubspot_owner_assigneddate", "hs_analytics_source", "hs_analytics_source_data_1",
    "hs_analytics_source_data_2", "hs_analytics_first_touch_converting_campaign", "hs_merged_object_ids",
    "createdate", "lastmodifieddate", "hs_lifecyclestage_lead_date", "hs_lifecyclestage_marketingqualifiedlead_date",
    "hs_lifecyclestage_salesqualifiedlead_date", "hs_lifecyclestage_opportunity_date",
    "hs_lifecyclestage_customer_date", "hs_v2_date_entered_lead", "hs_v2_date_entered_marketingqualifiedlead",
    "hs_v2_date_entered_salesqualifiedlead", "hs_v2_date_entered_opportunity", "hs_v2_date_entered_customer",
]
RESULTS = Path(__file__).parent / "results"
_CURSOR = re.compile(rb'"paging":\{"next":\{"after":"([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(*options: str) -> tuple[subprocess.Popen[bytes], str, float]:
    """``smarketing sandbox OPTIONS`` as its own process on a free port; (process, URL, seconds to first answer)."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "sync", "sandbox", "--port", str(port), *options],
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            requests.get(f"{url}/account-info/v3/details", timeout=1,
                         headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}).raise_for_status()
            return process, url, time.perf_counter() - started
        except requests.ConnectionError:
            if process.poll() is not None:
                raise SystemExit(f"the sandbox exited with status {process.returncode}") from None
            time.sleep(0.05)


def walk_raw(url: str) -> tuple[int, int, float]:
    """(pages, bytes, seconds) for one pass with a minimal client: the sandbox's own capacity.

    It reads each answer whole but parses only the cursor at its end, so the figure is not
    bounded by the client's JSON decoding, which a second core would do in a real sync.
    """
    host, port = urlsplit(url).hostname, urlsplit(url).port
    if host is None:
        raise ValueError(f"no host in {url!r}")
    connection = http.client.HTTPConnection(host, port, timeout=30)
    headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    query = {"limit": 100, "properties": ",".join(SYNC_PROPERTIES)}
    pages = size = 0
    started = time.perf_counter()
    while True:
        connection.request("GET", "/crm/v3/objects/contacts?" + urlencode(query), headers=headers)
        body = connection.getresponse().read()
        pages, size = pages + 1, size + len(body)
        cursor = _CURSOR.search(body, body.rfind(b'"paging"'))
        if cursor is None:
            return pages, size, time.perf_counter() - started
        query["after"] = cursor.group(1).decode()


def walk_pages(url: str, history: bool) -> tuple[int, int, float]:
    """(pages, records, seconds) for one pass over every contact, decoded as a Python client would."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {DEFAULT_TOKEN}"
    params = {"limit": 50 if history else 100, "properties": ",".join(SYNC_PROPERTIES)}
    if history:
        params["propertiesWithHistory"] = "lifecyclestage"
    pages = records = 0
    started = time.perf_counter()
    while True:
        body = session.get(f"{url}/crm/v3/objects/contacts", params=params, timeout=30).json()
        pages += 1
        records += len(body["results"])
        after = body.get("paging", {}).get("next", {}).get("after")
        if after is None:
            return pages, records, time.perf_counter() - started
        params["after"] = after


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--passes", type=int, default=2, help="passes over all pages; the best is reported")
    args = parser.parse_args(argv)
    process, url, startup = start_sandbox("--contacts", str(args.contacts), "--seed", str(args.seed))
    try:
        raw = min((walk_raw(url) for _ in range(args.passes)), key=lambda r: r[2])
        plain = min((walk_pages(url, history=False) for _ in range(args.passes)), key=lambda r: r[2])
        history = walk_pages(url, history=True)
    finally:
        process.terminate()
        process.wait(timeout=10)
    result = {
        "contacts": args.contacts, "seed": args.seed, "startup_seconds": round(startup, 2),
        "pages": raw[0], "pages_per_second": round(raw[0] / raw[2], 1),
        "megabytes_per_second": round(raw[1] / raw[2] / 1e6, 1),
        "decoded_pages_per_second": round(plain[0] / plain[2], 1),
        "decoded_records_per_second": round(plain[1] / plain[2]),
        "history_pages_per_second": round(history[0] / history[2], 1),
        "properties_per_record": len(SYNC_PROPERTIES),
    }
    print(f"sandbox with {args.contacts:,} contacts (seed {args.seed}): started in {startup:.2f} s")
    print(f"  list pages of 100, {len(SYNC_PROPERTIES)} properties, served: {result['pages_per_second']} pages/s "
          f"({result['megabytes_per_second']} MB/s)")
    print(f"  the same, decoded by requests + json in this process: {result['decoded_pages_per_second']} pages/s "
          f"({result['decoded_records_per_second']:,} records/s)")
    print(f"  list pages of 50 with lifecyclestage history: {result['history_pages_per_second']} pages/s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sandbox_pages.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
