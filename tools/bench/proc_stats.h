// /proc readings for msrp-bench: CPU seconds and memory of the relay's process tree, and the
// bench's own CPU time.
#pragma once

#include <cstdint>
#include <vector>

namespace msrp::bench {

/// One reading summed over a set of processes.
struct ProcSample {
  bool ok = false;      ///< false when the first process could not be read
  int procs = 0;        ///< processes read
  double cpu_s = 0;     ///< utime + stime, seconds
  uint64_t rss_kib = 0; ///< VmRSS
  uint64_t hwm_kib = 0; ///< VmHWM (peak RSS over each process's life)
  uint64_t pss_kib = 0; ///< Pss from smaps_rollup (shared pages split between processes)
};

/// `pid` and all its descendants (scanning /proc), `pid` first.
std::vector<int> ProcessTree(int pid);

/// Reads CPU, RSS and peak RSS (and Pss when `with_pss`) of `pids`.
ProcSample SampleProcesses(const std::vector<int>& pids, bool with_pss);

/// CPU seconds (user + system) this process used so far.
double SelfCpuSeconds();

}  // namespace msrp::bench
