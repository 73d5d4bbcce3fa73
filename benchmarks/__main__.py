"""`make bench`: run every benchmark and print one JSON object of figures."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import (
    agents_e2e,
    api_fuzz,
    campaign_pacing,
    dashboard_paint,
    doctors_import,
    doctors_list,
    inbox_api,
    knowledge_answers,
    lead_scoring,
    master_overhead,
    outbound_pacing,
    queue_throughput,
    realtime_latency,
    segments_count,
    webhook_flood,
    webhook_ingest,
)

BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "queue": queue_throughput.run,
    "webhook_ingest": webhook_ingest.run,
    "webhook_flood": webhook_flood.run,
    "outbound_pacing": outbound_pacing.run,
    "campaign_pacing": campaign_pacing.run,
    "inbox_api": inbox_api.run,
    "dashboard_paint": dashboard_paint.run,
    "realtime_latency": realtime_latency.run,
    "master_overhead": master_overhead.run,
    "agents_e2e": agents_e2e.run,
    "knowledge_answers": knowledge_answers.run,
    "lead_scoring": lead_scoring.run,
    "segments_count": segments_count.run,
    "doctors_import": doctors_import.run,
    "doctors_list": doctors_list.run,
    "api_fuzz": api_fuzz.run,
}
# Benchmarks with a `--quick` mode: called with whether it was asked for.
QUICK: dict[str, Callable[[bool], dict[str, Any]]] = {"campaign_pacing": campaign_pacing.run}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller runs where a benchmark has them (campaign_pacing: 1,000 recipients)",
    )
    args = parser.parse_args()
    selected = args.names or list(BENCHMARKS)
    figures: dict[str, Any] = {}
    for name in selected:
        started = time.perf_counter()
        print(f"bench: {name} …", file=sys.stderr, flush=True)
        if name in QUICK:
            figures[name] = QUICK[name](args.quick)
        else:
            figures[name] = BENCHMARKS[name]()
        figures[name]["bench_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures, indent=2, sort_keys=True))


main()
