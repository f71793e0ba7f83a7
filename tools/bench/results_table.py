#!/usr/bin/env python3
"""Turns the msrp-bench JSON lines of side-by-side.sh into one Markdown table with ratios.

  python3 tools/bench/results_table.py results.jsonl

Each line's "label" is "SCENARIO|TARGET". Ratios compare each target with msrp-relay ("ours")
in the same scenario: msg/s (higher is better) and relay CPU per message (lower is better).

Scenarios named "...-halfrate" (open loop, msrp-bench --rate) get a short section under the
table: msrp-relay's added latency per hop, its percentiles minus those of "direct" (no relay).
"""
import json
import sys

TARGET_NAMES = {
    "ours": "msrp-relay",
    "kamailio": "Kamailio 5.6",
    "haproxy": "HAProxy TLS in, plain out (direct)",
    "haproxy2": "HAProxy TLS in, TLS out (direct)",
    "direct": "bench direct (no proxy)",
}
TARGET_ORDER = ["ours", "kamailio", "haproxy2", "haproxy", "direct"]


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, (int, float)) and abs(v) >= 1000:
        return "{:,.0f}".format(v)
    return "{:.{}f}".format(v, digits)


def mib(kib):
    return None if kib is None else kib / 1024.0


def cpu_per_msg_us(r):
    if r.get("relay_cpu_s") is None or not r.get("delivered"):
        return None
    return r["relay_cpu_s"] / r["delivered"] * 1e6


def growth_mib(r):
    base, top = r.get("relay_pss_base_kib"), r.get("relay_pss_max_kib")
    if base is None or top is None:
        return None
    return (top - base) / 1024.0


def notes(r):
    out = []
    if r.get("failed"):
        return "bench produced no result"
    if r.get("mode") == "idle":
        ready, asked = r.get("idle_ready", 0), r.get("idle_asked", 0)
        g = growth_mib(r)
        per = (g * 1024 / ready) if (g is not None and ready) else None
        out.append("{}/{} sessions up in {:.1f} s".format(ready, asked, r.get("setup_s", 0)))
        if per is not None:
            out.append("{:.1f} KiB/session".format(per))
    if r.get("chunk") and r.get("size") and r["chunk"] < r["size"] and r.get("mode") != "idle":
        out.append("{} KiB chunks".format(r["chunk"] // 1024))
    if r.get("rate"):
        out.append("open loop {:,.0f} msg/s".format(r["rate"]))
        if r.get("late_starts") or r.get("not_started"):
            out.append("RATE NOT KEPT: {} late starts, {} never started".format(
                r.get("late_starts", 0), r.get("not_started", 0)))
    if r.get("out_of_order_chunks"):
        out.append("{} chunks out of order".format(r["out_of_order_chunks"]))
    kinds = r.get("error_kinds") or {}
    for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1])[:2]:
        out.append("{} x {}".format(n, kind[:70]))
    if r.get("bench_cpu_bound"):
        out.append("BENCH CPU-BOUND ({:.2f} core)".format(r.get("bench_cpu_util", 0)))
    return "; ".join(out)


def main():
    rows = []
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    by_scenario = {}
    order = []
    for r in rows:
        scenario, _, target = r.get("label", "?|?").partition("|")
        if scenario not in by_scenario:
            by_scenario[scenario] = {}
            order.append(scenario)
        by_scenario[scenario][target] = r

    print("| scenario | target | msg/s | MB/s | p50 ms | p99 ms | p99.9 ms | relay CPU s | CPU us/msg "
          "| mem growth MiB | peak RSS MiB | verified | errors | msg/s vs msrp-relay | CPU/msg vs msrp-relay | notes |")
    print("|" + "---|" * 16)
    for scenario in order:
        targets = by_scenario[scenario]
        ours = targets.get("ours")
        for t in TARGET_ORDER:
            r = targets.get(t)
            if r is None:
                continue
            idle = r.get("mode") == "idle"
            ratio = cpu_ratio = "-"
            if ours and not idle and not r.get("failed") and ours.get("msgs_per_s"):
                ratio = "{:.2f}x".format(r.get("msgs_per_s", 0) / ours["msgs_per_s"])
                a, b = cpu_per_msg_us(r), cpu_per_msg_us(ours)
                if a is not None and b:
                    cpu_ratio = "{:.2f}x".format(a / b)
            if ours and idle and t != "ours":
                a, b = growth_mib(r), growth_mib(ours)
                ra, rb = r.get("idle_ready") or 0, ours.get("idle_ready") or 0
                if a is not None and a > 0 and b and ra >= 100 and rb >= 100:
                    ratio = "mem/session {:.2f}x".format((a / ra) / (b / rb))
            cells = [
                scenario,
                TARGET_NAMES.get(t, t),
                "-" if idle else fmt(r.get("msgs_per_s"), 0),
                "-" if idle else fmt(r.get("mb_per_s"), 1),
                "-" if idle else fmt(r.get("p50_ms"), 2),
                "-" if idle else fmt(r.get("p99_ms"), 2),
                "-" if idle else fmt(r.get("p999_ms"), 2),
                fmt(r.get("relay_cpu_s"), 2),
                "-" if idle else fmt(cpu_per_msg_us(r), 1),
                fmt(growth_mib(r), 1),
                fmt(mib(r.get("relay_peak_rss_kib")), 1),
                "-" if idle else ("yes" if r.get("verified") else "NO"),
                str(r.get("errors", "-")),
                ratio,
                cpu_ratio,
                notes(r),
            ]
            print("| " + " | ".join(cells) + " |")

    for scenario in order:
        if scenario.endswith("-halfrate"):
            print_added_latency(scenario, by_scenario[scenario])


def usable(r):
    return r is not None and not r.get("failed") and r.get("verified") and r.get("delivered")


def print_added_latency(scenario, targets):
    """Issue target: added latency p99 per relay hop < 1 ms at half of the maximum rate."""
    ours, direct = targets.get("ours"), targets.get("direct")
    print()
    if not usable(ours) or not usable(direct):
        print("{}: added latency per hop not computed (msrp-relay or direct has no verified result)".format(scenario))
        return
    diff = {q: ours[k] - direct[k] for q, k in (("p50", "p50_ms"), ("p99", "p99_ms"), ("p99.9", "p999_ms"))}
    print("{}: open loop at {:,.0f} msg/s, {} pairs, {} B messages, window {}, starts paced every {} us; latency "
          "from each message's scheduled start to its last byte at the receiver.".format(
              scenario, ours.get("rate", 0), ours.get("pairs"), ours.get("size"), ours.get("window"),
              ours.get("tick_us", 1000)))
    print("added latency per hop at half rate: p50 {:.3f} ms, p99 {:.3f} ms, p99.9 {:.3f} ms "
          "(ours minus direct) -> p99 < 1 ms: {}".format(
              diff["p50"], diff["p99"], diff["p99.9"], "yes" if diff["p99"] < 1.0 else "NO"))
    for name, r in (("msrp-relay", ours), ("direct", direct)):
        line = "  {}: p50 {:.3f}, p99 {:.3f}, p99.9 {:.3f}, max {:.3f} ms; {:,.0f} msg/s delivered; " \
               "late_starts {}, never started {}; start lag in the bench p50 {:.3f}, p99 {:.3f} ms".format(
                   name, r["p50_ms"], r["p99_ms"], r["p999_ms"], r["max_ms"], r.get("msgs_per_s", 0),
                   r.get("late_starts", 0), r.get("not_started", 0), r.get("start_lag_p50_ms", 0),
                   r.get("start_lag_p99_ms", 0))
        if r.get("late_starts") or r.get("not_started"):
            line += " (RATE NOT KEPT: messages waited for a full window; that wait is in the latency)"
        if r.get("bench_cpu_bound"):
            line += " (BENCH CPU-BOUND)"
        print(line)
    print("  (a difference of percentiles, not a percentile of per-message differences; "
          "both runs share the machine with whatever else runs on it)")


if __name__ == "__main__":
    main()
