// Text and JSON renderings of BenchResult (hand-written JSON: flat fields and one string map).
#include "tools/bench/bench_result.h"

#include <cstdio>

namespace msrp::bench {

namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

bool MissedRate(const BenchResult& r) { return r.rate > 0 && (r.late_starts > 0 || r.not_started > 0); }

std::string FormatText(const BenchResult& r) {
  char buf[512];
  std::string out;
  if (r.mode == "idle") {
    std::snprintf(buf, sizeof buf, "idle sessions: %u of %u authenticated in %.2f s\n", r.idle_ready, r.idle_asked,
                  r.setup_s);
    out += buf;
  } else {
    std::snprintf(buf, sizeof buf,
                  "%s: %u/%u pairs, %llu B messages in %llu B chunks, window %u: %llu delivered in %.2f s\n",
                  r.mode.c_str(), r.pairs_ready, r.pairs, static_cast<unsigned long long>(r.size),
                  static_cast<unsigned long long>(r.chunk), r.window, static_cast<unsigned long long>(r.delivered),
                  r.elapsed_s);
    out += buf;
    std::snprintf(buf, sizeof buf, "  %.0f msg/s, %.2f MB/s, latency p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms\n",
                  r.msgs_per_s, r.mb_per_s, r.p50_ms, r.p99_ms, r.p999_ms, r.max_ms);
    out += buf;
    std::snprintf(buf, sizeof buf, "  %llu chunks sent, %llu 200 OK received, verified: %s (%llu bytes matched, %llu did not)\n",
                  static_cast<unsigned long long>(r.chunks_sent), static_cast<unsigned long long>(r.oks),
                  r.verified ? "yes" : "NO", static_cast<unsigned long long>(r.delivered_bytes),
                  static_cast<unsigned long long>(r.mismatched_bytes));
    out += buf;
    if (r.rate > 0) {
      std::snprintf(buf, sizeof buf,
                    "  open loop at %.0f msg/s (%.1f per pair, a tick every %u us): %llu due, %llu started, %llu started late, "
                    "%llu never started\n  start lag (due -> started, inside the bench, part of the latency): "
                    "p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
                    r.rate, r.pairs > 0 ? r.rate / r.pairs : 0.0, r.tick_us, static_cast<unsigned long long>(r.scheduled),
                    static_cast<unsigned long long>(r.started), static_cast<unsigned long long>(r.late_starts),
                    static_cast<unsigned long long>(r.not_started), r.start_lag_p50_ms, r.start_lag_p99_ms,
                    r.start_lag_max_ms);
      out += buf;
      if (MissedRate(r)) {
        out += "  THE BENCH COULD NOT KEEP THE RATE: messages were due while their pair's window was full "
               "(the target, or this machine, was too slow for this rate at this --window)\n";
      }
    }
    if (r.out_of_order_chunks > 0) {
      std::snprintf(buf, sizeof buf, "  %llu chunks arrived out of order (allowed; reassembled by Byte-Range)\n",
                    static_cast<unsigned long long>(r.out_of_order_chunks));
      out += buf;
    }
  }
  std::snprintf(buf, sizeof buf, "  errors: %llu\n", static_cast<unsigned long long>(r.errors));
  out += buf;
  for (const auto& [kind, n] : r.error_kinds) {
    std::snprintf(buf, sizeof buf, "    %llu x %s\n", static_cast<unsigned long long>(n), kind.c_str());
    out += buf;
  }
  if (r.relay_measured) {
    std::snprintf(buf, sizeof buf,
                  "  relay (%d process%s): CPU %.2f s (setup %.2f s), RSS base %llu KiB, max %llu KiB, end %llu KiB, "
                  "peak (VmHWM) %llu KiB, PSS base %llu KiB max %llu KiB\n",
                  r.relay_procs, r.relay_procs == 1 ? "" : "es", r.relay_cpu_s, r.relay_setup_cpu_s,
                  static_cast<unsigned long long>(r.relay_rss_base_kib),
                  static_cast<unsigned long long>(r.relay_rss_max_kib),
                  static_cast<unsigned long long>(r.relay_rss_end_kib),
                  static_cast<unsigned long long>(r.relay_peak_rss_kib),
                  static_cast<unsigned long long>(r.relay_pss_base_kib),
                  static_cast<unsigned long long>(r.relay_pss_max_kib));
    out += buf;
  }
  std::snprintf(buf, sizeof buf, "  bench CPU %.2f s (%.2f of a core)%s\n", r.bench_cpu_s, r.bench_cpu_util,
                r.bench_cpu_bound ? ": BENCH WAS CPU-BOUND, the numbers may be its limit, not the target's" : "");
  out += buf;
  return out;
}

std::string FormatJson(const BenchResult& r) {
  std::string j = "{";
  auto add = [&j](const std::string& key, const std::string& value) {
    if (j.size() > 1) j += ",";
    j += "\"" + key + "\":" + value;
  };
  auto u = [](uint64_t v) { return std::to_string(v); };
  add("mode", JsonString(r.mode));
  add("label", JsonString(r.label));
  add("pairs", u(r.pairs));
  add("pairs_ready", u(r.pairs_ready));
  add("idle_asked", u(r.idle_asked));
  add("idle_ready", u(r.idle_ready));
  add("size", u(r.size));
  add("chunk", u(r.chunk));
  add("window", u(r.window));
  add("setup_s", Num(r.setup_s));
  add("elapsed_s", Num(r.elapsed_s));
  add("started", u(r.started));
  add("delivered", u(r.delivered));
  add("finished", u(r.finished));
  add("oks", u(r.oks));
  add("chunks_sent", u(r.chunks_sent));
  add("delivered_bytes", u(r.delivered_bytes));
  add("mismatched_bytes", u(r.mismatched_bytes));
  add("out_of_order_chunks", u(r.out_of_order_chunks));
  add("rate", Num(r.rate));
  add("tick_us", u(r.tick_us));
  add("scheduled", u(r.scheduled));
  add("late_starts", u(r.late_starts));
  add("not_started", u(r.not_started));
  add("start_lag_p50_ms", Num(r.start_lag_p50_ms));
  add("start_lag_p99_ms", Num(r.start_lag_p99_ms));
  add("start_lag_max_ms", Num(r.start_lag_max_ms));
  add("msgs_per_s", Num(r.msgs_per_s));
  add("mb_per_s", Num(r.mb_per_s));
  add("p50_ms", Num(r.p50_ms));
  add("p99_ms", Num(r.p99_ms));
  add("p999_ms", Num(r.p999_ms));
  add("max_ms", Num(r.max_ms));
  add("errors", u(r.errors));
  std::string kinds = "{";
  for (const auto& [kind, n] : r.error_kinds) {
    if (kinds.size() > 1) kinds += ",";
    kinds += JsonString(kind) + ":" + u(n);
  }
  add("error_kinds", kinds + "}");
  add("verified", r.verified ? "true" : "false");
  add("relay_procs", u(static_cast<uint64_t>(r.relay_procs)));
  add("relay_cpu_s", r.relay_measured ? Num(r.relay_cpu_s) : "null");
  add("relay_setup_cpu_s", r.relay_measured ? Num(r.relay_setup_cpu_s) : "null");
  add("relay_peak_rss_kib", r.relay_measured ? u(r.relay_peak_rss_kib) : "null");
  add("relay_rss_base_kib", r.relay_measured ? u(r.relay_rss_base_kib) : "null");
  add("relay_rss_max_kib", r.relay_measured ? u(r.relay_rss_max_kib) : "null");
  add("relay_rss_end_kib", r.relay_measured ? u(r.relay_rss_end_kib) : "null");
  add("relay_pss_base_kib", r.relay_measured ? u(r.relay_pss_base_kib) : "null");
  add("relay_pss_max_kib", r.relay_measured ? u(r.relay_pss_max_kib) : "null");
  add("bench_cpu_s", Num(r.bench_cpu_s));
  add("bench_cpu_util", Num(r.bench_cpu_util));
  add("bench_cpu_bound", r.bench_cpu_bound ? "true" : "false");
  return j + "}";
}

}  // namespace msrp::bench
