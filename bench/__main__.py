"""One command for every figure we claim: sync, incremental, KPIs, write-back, the machine's ceiling, rate limits.

    python -m bench [--contacts 100000] [--seed 1] [--limited-contacts 5000]

On a generated sandbox portal (``--contacts``, with a fifth as many deals and a twentieth as many
engagements: 100,000 / 20,000 / 5,000 by default), each ``smarketing`` command runs as its own process
against ``smarketing sandbox`` as another, and the sandbox counts every request:

1. on a portal a fifth the size, the same commands as in 2 and 3, for their peak RSS and KPI times;
2. a full sync of the chosen size; a sync with nothing changed; the ceiling of this machine (an in-process
   sync keeps every answer body and the rows it stored, then only ``json.loads`` of those bodies and an
   ``executemany`` of those rows into a fresh mirror are timed; above 200,000 contacts it is measured on the
   fifth, so no table of a million rows is held in memory); the KPI set for 12 months from cold, with no
   ``--by`` and with each of the four dimensions (:mod:`bench.kpis`); every dashboard page's server time,
   cold and warm (``bench.dashboard_pages``);
3. the first push (everything), a sync that reads back the worker's own writes, a whole worker cycle (sync,
   KPIs, push: :mod:`bench.cycle`) with nothing changed, which must write nothing; 1 % of contacts and of deals
   changed through the API as users do, and a cycle: its sync is the incremental sync, its push the push after
   1 % changed;
4. a full sync of ``--limited-contacts`` under the sandbox's 100 requests per 10 s.

It prints a table, one line per target ending in PASS or FAIL, and writes everything to
``bench/results/bench-CONTACTS.json``; it exits 1 if a target fails.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.ceiling import capture
from bench.ceiling import measure as measure_ceiling
from bench.dashboard_pages import target as dashboard_target
from bench.dashboard_pages import time_pages
from bench.portal import BenchPortal, Run, progress
from bench.sandbox_pages import RESULTS
from bench.targets import CEILING_MAX_CONTACTS, million_targets
from kpi import DIMENSIONS

LIMIT_PER_TEN_SECONDS = 100
REFERENCE_STREAMS = 5  # account, the lifecycle stage property, owners, pipelines, campaigns
OBJECT_STREAMS = 7  # contacts, companies, deals, calls, emails, meetings, tasks


def per_thousand(count: float, records: float) -> float:
    return round(count / records * 1000, 1) if records else 0.0


def sync_figures(run: Run, records: int) -> dict[str, Any]:
    return {"seconds": round(run.seconds, 1), "records": records, "records_per_second": round(records / run.seconds),
            "requests": run.requests, "peak_rss_mb": round(run.peak_rss_mb, 1),
            "requests_by_route": run.stats["requests_by_route"],
            "requests_by_object_type": run.stats["requests_by_object_type"]}


def push_figures(run: Run, written: dict[str, int]) -> dict[str, Any]:
    records = sum(written.values())
    return {"seconds": round(run.seconds, 1), "records_written": written, "write_requests": run.write_requests,
            "write_requests_per_1000_records": per_thousand(run.write_requests, records), "requests": run.requests,
            "peak_rss_mb": round(run.peak_rss_mb, 1)}


def kpi_figures(run: Run, figures: dict[str, Any]) -> dict[str, Any]:
    return {**figures, "process_seconds": round(run.seconds, 1), "peak_rss_mb": round(run.peak_rss_mb, 1)}


def cycle_figures(run: Run, parts: dict[str, Any], written: dict[str, int]) -> dict[str, Any]:
    return {**push_figures(Run(parts["kpis_and_push_seconds"], run.peak_rss_mb, run.stats), written),
            "seconds": parts["seconds"], "sync_seconds": parts["sync_seconds"],
            "kpis_and_push_seconds": parts["kpis_and_push_seconds"],
            "sync_requests": parts["sync_stats"]["requests_total"], "kpis_and_push_requests": run.requests,
            "parts": parts, "kpis_and_push_stats": run.stats}


def measure_size(folder: Path, contacts: int, seed: int, changed: float, ceiling: bool) -> dict[str, Any]:
    """Steps 2 and 3 on a portal of ``contacts`` (the machine's ceiling only if ``ceiling``)."""
    figures: dict[str, Any] = {"contacts": contacts}
    with BenchPortal(folder, "--contacts", str(contacts), "--seed", str(seed)) as portal:
        figures["sandbox_startup_seconds"] = round(portal.startup_seconds, 1)
        full = portal.smarketing("sync")
        figures["full_sync"] = sync_figures(full, portal.records())
        contacts_deals = portal.count("contacts") + portal.count("deals")
        by_type = full.stats["requests_by_object_type"]
        figures["full_sync"]["contacts_and_deals"] = {
            "records": contacts_deals, "requests": by_type.get("contacts", 0) + by_type.get("deals", 0),
            "requests_per_1000_records": per_thousand(by_type.get("contacts", 0) + by_type.get("deals", 0),
                                                      contacts_deals)}
        figures["unchanged_sync"] = sync_figures(portal.smarketing("sync"), 0)

        if ceiling:
            bodies = capture(portal.url, folder / "ceiling-source.db")
            figures["ceiling"] = {**measure_ceiling(bodies, folder / "ceiling-source.db"), "contacts": contacts}
            del bodies
            progress(f"  ceiling: {figures['ceiling']['records_per_second']:,} records/s")
        figures["kpi_sets"] = {by or "all": kpi_figures(*portal.kpis(by)) for by in (None, *DIMENSIONS)}
        figures["kpis"] = figures["kpi_sets"]["all"]
        figures["dashboard"] = time_pages(portal.db)

        figures["first_push"] = push_figures(*portal.push())
        figures["read_back_sync"] = sync_figures(portal.smarketing("sync"), 0)
        figures["unchanged_cycle"] = cycle_figures(*portal.cycle())
        moved = {"contacts": portal.change("contacts", changed, seed), "deals": portal.change("deals", changed, seed)}
        progress(f"  changed {moved['contacts']:,} contacts and {moved['deals']:,} deals")
        figures["changed_cycle"] = cycle_figures(*portal.cycle())
    cycle = figures["changed_cycle"]
    incremental = Run(cycle["sync_seconds"], cycle["peak_rss_mb"], cycle["parts"]["sync_stats"])
    figures["incremental_sync"] = {**sync_figures(incremental, sum(moved.values())), "changed": moved,
                                   "requests_per_1000_changed": per_thousand(incremental.requests,
                                                                             sum(moved.values()))}
    figures["changed_push"] = {k: cycle[k] for k in ("records_written", "write_requests",
                                                     "write_requests_per_1000_records", "requests")}
    figures["changed_push"]["seconds"] = cycle["kpis_and_push_seconds"]
    unchanged = figures["unchanged_cycle"]
    figures["unchanged_push"] = {k: unchanged[k] for k in ("records_written", "write_requests",
                                                           "write_requests_per_1000_records", "requests")}
    figures["unchanged_push"]["seconds"] = unchanged["kpis_and_push_seconds"]
    return figures


def peak_rss(figures: dict[str, Any]) -> dict[str, float]:
    """Peak RSS (MB) of every command the size's run started."""
    rss = {name: figures[name]["peak_rss_mb"] for name in ("full_sync", "unchanged_sync", "read_back_sync",
                                                           "first_push", "unchanged_cycle", "changed_cycle")}
    rss.update({f"kpis {name}": kpis["peak_rss_mb"] for name, kpis in figures["kpi_sets"].items()})
    return rss


def measure_rate_limit(folder: Path, contacts: int, seed: int) -> dict[str, Any]:
    """Step 4: a full sync under the sandbox's 100 requests per rolling 10 s."""
    with BenchPortal(folder, "--contacts", str(contacts), "--seed", str(seed),
                     "--rate-limit", str(LIMIT_PER_TEN_SECONDS)) as portal:
        run = portal.smarketing("sync")
        records = portal.records()
    stats = run.stats
    windows = max(run.seconds / 10, 1.0)  # the budget the sync's duration offered, at least one window
    return {**sync_figures(run, records), "limit_per_ten_seconds": LIMIT_PER_TEN_SECONDS,
            "busiest_ten_seconds": stats["busiest_ten_seconds"],
            "busiest_window_share": round(stats["busiest_ten_seconds"] / LIMIT_PER_TEN_SECONDS, 2),
            "budget_share": round(run.requests / (windows * LIMIT_PER_TEN_SECONDS), 2),
            "responses_429": stats["requests_by_status"].get("429", 0),
            "share_429": round(stats["requests_by_status"].get("429", 0) / max(run.requests, 1), 4)}


def targets(result: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(what, measured against its bound, passed) for each target of issue 8, at every size."""
    big, small, limited = result["size"], result["fifth"], result["rate_limit"]
    full_rate = big["full_sync"]["contacts_and_deals"]["requests_per_1000_records"]
    budget = 2 * OBJECT_STREAMS + REFERENCE_STREAMS
    unchanged = big["unchanged_sync"]["requests"]
    writes = [big[push]["write_requests_per_1000_records"] for push in ("first_push", "changed_push")]
    rss = big["full_sync"]["peak_rss_mb"] / small["full_sync"]["peak_rss_mb"]
    ceiling = big.get("ceiling") or small["ceiling"]
    share = big["full_sync"]["records_per_second"] / ceiling["records_per_second"]
    where = "" if "ceiling" in big else f" (ceiling measured at {ceiling['contacts']:,} contacts)"
    return [
        ("full sync: requests per 1,000 contact and deal records", f"{full_rate} <= 10.5", full_rate <= 10.5),
        ("sync with nothing changed: requests", f"{unchanged} <= {budget} (2 per object stream, 1 per reference)",
         unchanged <= budget),
        ("write-back: write requests per 1,000 changed records", f"{max(writes)} <= 10.5 (first push {writes[0]}, "
         f"after 1% changed {writes[1]})", max(writes) <= 10.5),
        ("push with nothing changed: write requests", f"{big['unchanged_push']['write_requests']} == 0",
         big["unchanged_push"]["write_requests"] == 0),
        ("peak RSS at the chosen size / at a fifth", f"{rss:.2f} <= 1.3", rss <= 1.3),
        ("full-sync throughput / this machine's ceiling", f"{share:.0%} >= 35%{where}", share >= 0.35),
        (f"429s under {LIMIT_PER_TEN_SECONDS} requests per 10 s", f"{limited['responses_429']} of "
         f"{limited['requests']} requests ({limited['share_429']:.1%}) < 1%", limited["share_429"] < 0.01),
        *([dashboard_target(big["dashboard"])] if "dashboard" in big else []),  # runs kept from before it
    ]


def print_table(result: dict[str, Any]) -> None:
    """The figures, then one line per target ending in PASS or FAIL."""
    big, small, limited = result["size"], result["fifth"], result["rate_limit"]
    full, ceiling = big["full_sync"], big.get("ceiling") or small["ceiling"]
    sets = ", ".join(f"{name} {kpis['seconds']} s" for name, kpis in big["kpi_sets"].items())
    rss = result["peak_rss_ratios"]
    worst = max(rss, key=rss.__getitem__)
    rows = [
        ("full sync", f"{full['records']:,} records in {full['seconds']} s: {full['records_per_second']:,} records/s, "
                      f"{full['requests']:,} requests"),
        ("  contacts and deals", f"{full['contacts_and_deals']['records']:,} records, "
                                 f"{full['contacts_and_deals']['requests']:,} requests: "
                                 f"{full['contacts_and_deals']['requests_per_1000_records']} per 1,000 (floor 10)"),
        ("  peak RSS", f"{full['peak_rss_mb']} MB at {result['contacts']:,} contacts, "
                       f"{small['full_sync']['peak_rss_mb']} MB at {result['contacts'] // 5:,}"),
        ("machine ceiling", f"{ceiling['records_per_second']:,} records/s (decode {ceiling['decode_seconds']} s "
                            f"+ insert {ceiling['insert_seconds']} s, at {ceiling['contacts']:,} contacts); full "
                            f"sync at "
                            f"{full['records_per_second'] / ceiling['records_per_second']:.0%} of it"),
        ("sync, nothing changed", f"{big['unchanged_sync']['requests']} requests in "
                                  f"{big['unchanged_sync']['seconds']} s"),
        ("incremental, 1% changed", f"{sum(big['incremental_sync']['changed'].values()):,} changed records: "
                                    f"{big['incremental_sync']['requests']} requests "
                                    f"({big['incremental_sync']['requests_per_1000_changed']} per 1,000) in "
                                    f"{big['incremental_sync']['seconds']} s"),
        ("KPIs, 12 months", f"{big['kpis']['kpi_seconds']} s at {result['contacts']:,} contacts, "
                            f"{small['kpis']['kpi_seconds']} s at {result['contacts'] // 5:,}: ratio "
                            f"{result['kpi_time_ratio']} for 5x the contacts (funnel build "
                            f"{big['kpis']['funnel_seconds']} s)"),
        *([("dashboard pages", f"stored {big['dashboard']['stored_results']:,} results in "
                               f"{big['dashboard']['store_seconds']} s; warm p95 worst "
                               f"{big['dashboard']['worst_warm_p95_ms']} ms (per page: python -m "
                               "bench.dashboard_pages)")] if "dashboard" in big else []),
        ("KPI sets from cold", f"{sets} (funnel build and KPI maths, by dimension)"),
        ("first push", _push_line(big["first_push"])),
        ("  sync reading it back", f"{big['read_back_sync']['requests']:,} requests in "
                                   f"{big['read_back_sync']['seconds']} s"),
        ("push after 1% changed", _push_line(big["changed_push"])),
        ("push, nothing changed", _push_line(big["unchanged_push"])),
        ("cycle, nothing changed", _cycle_line(big["unchanged_cycle"])),
        ("cycle after 1% changed", _cycle_line(big["changed_cycle"])),
        ("peak RSS of every command", f"at most {rss[worst]}x its figure at {result['contacts'] // 5:,} contacts "
                                      f"({worst}: {peak_rss(big)[worst]} MB)"),
        (f"rate limit {LIMIT_PER_TEN_SECONDS}/10 s", f"{limited['records']:,} records, {limited['requests']} requests "
                                                     f"in {limited['seconds']} s: busiest 10 s used "
                                                     f"{limited['busiest_window_share']:.0%} of the budget, the whole "
                                                     f"run {limited['budget_share']:.0%}; "
                                                     f"{limited['responses_429']} 429s"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"smarketing-sync benchmark: {result['contacts']:,} contacts, seed {result['seed']}, "
          f"{result['machine']}, {result['seconds']} s")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for target in result["targets"]:
        print(f"{target['what']}: {target['measured']} {'PASS' if target['passed'] else 'FAIL'}")


def _cycle_line(cycle: dict[str, Any]) -> str:
    return (f"{cycle['seconds']} s: sync {cycle['sync_seconds']} s ({cycle['sync_requests']} requests), KPIs and push "
            f"{cycle['kpis_and_push_seconds']} s ({cycle['write_requests']} write requests for "
            f"{sum(cycle['records_written'].values()):,} records); peak RSS {cycle['peak_rss_mb']} MB")


def _push_line(push: dict[str, Any]) -> str:
    written = ", ".join(f"{n:,} {t}" for t, n in sorted(push["records_written"].items())) or "nothing"
    return (f"{written}: {push['write_requests']} write requests "
            f"({push['write_requests_per_1000_records']} per 1,000) in {push['seconds']} s")


def report(path: Path) -> int:
    if not path.exists():
        print(f"no run kept in {path}", file=sys.stderr)
        return 2
    result = json.loads(path.read_text())
    checks = targets(result) + million_targets(result, RESULTS)
    result["targets"] = [{"what": w, "measured": m, "passed": p} for w, m, p in checks]
    print_table(result)
    return 0 if all(t["passed"] for t in result["targets"]) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--changed", type=float, default=0.01, help="share of contacts and of deals changed")
    parser.add_argument("--limited-contacts", type=int, default=5_000, help="portal size for the rate-limit run")
    parser.add_argument("--report", action="store_true",
                        help="print the table and targets of the run bench/results keeps for --contacts, measuring "
                             "nothing (targets that compare with another run read it as it is now)")
    args = parser.parse_args(argv)
    if args.report:
        return report(RESULTS / f"bench-{args.contacts}.json")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folders = {name: Path(tmp) / name for name in ("fifth", "size", "limited")}
        for folder in folders.values():
            folder.mkdir()
        on_fifth = args.contacts > CEILING_MAX_CONTACTS  # where the ceiling's bodies and rows fit in memory
        size = measure_size(folders["size"], args.contacts, args.seed, args.changed, ceiling=not on_fifth)
        fifth = measure_size(folders["fifth"], args.contacts // 5, args.seed, args.changed, ceiling=on_fifth)
        limited = measure_rate_limit(folders["limited"], args.limited_contacts, args.seed)
    result: dict[str, Any] = {
        "contacts": args.contacts, "seed": args.seed, "changed_share": args.changed,
        "machine": f"{platform.machine()}, Python {platform.python_version()}", "fifth": fifth, "size": size,
        "rate_limit": limited,
        "kpi_time_ratio": round(size["kpis"]["kpi_seconds"] / max(fifth["kpis"]["kpi_seconds"], 1e-9), 1),
        "peak_rss_ratios": {name: round(mb / max(peak_rss(fifth)[name], 1e-9), 2)
                            for name, mb in peak_rss(size).items()},
    }
    result["seconds"] = round(time.perf_counter() - started)
    checks = targets(result) + million_targets(result, RESULTS)
    result["targets"] = [{"what": w, "measured": m, "passed": p} for w, m, p in checks]
    print_table(result)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"bench-{args.contacts}.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0 if all(t["passed"] for t in result["targets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
