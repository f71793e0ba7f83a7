// Parses /proc/PID/stat (utime, stime, ppid), /proc/PID/status (VmRSS, VmHWM) and
// /proc/PID/smaps_rollup (Pss).
#include "tools/bench/proc_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace msrp::bench {

namespace {

/// Fields after the ")" of /proc/PID/stat, starting with field 3 (state).
bool ReadStatFields(int pid, std::vector<std::string>* fields) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(line.substr(close + 2));
  fields->clear();
  std::string f;
  for (int i = 0; i < 64 && rest >> f; ++i) fields->push_back(f);
  return fields->size() > 13;
}

uint64_t StatusKib(const std::string& text, const char* key) {
  auto at = text.find(key);
  if (at == std::string::npos) return 0;
  return std::strtoull(text.c_str() + at + std::strlen(key), nullptr, 10);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::vector<int> ProcessTree(int pid) {
  std::vector<int> tree{pid};
  std::vector<std::pair<int, int>> all;  // (pid, ppid)
  if (DIR* d = opendir("/proc")) {
    for (int i = 0; i < 1 << 20; ++i) {
      dirent* e = readdir(d);
      if (e == nullptr) break;
      int p = std::atoi(e->d_name);
      if (p <= 0) continue;
      std::vector<std::string> f;
      if (ReadStatFields(p, &f)) all.emplace_back(p, std::atoi(f[1].c_str()));
    }
    closedir(d);
  }
  for (size_t i = 0; i < tree.size() && i < 100000; ++i) {
    for (const auto& [p, pp] : all) {
      if (pp == tree[i]) tree.push_back(p);
    }
  }
  return tree;
}

ProcSample SampleProcesses(const std::vector<int>& pids, bool with_pss) {
  ProcSample s;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (size_t i = 0; i < pids.size(); ++i) {
    std::vector<std::string> f;
    if (!ReadStatFields(pids[i], &f)) continue;
    // Fields 14 and 15 of stat (utime, stime) are indices 11 and 12 here (field 3 is index 0).
    s.cpu_s += (std::strtod(f[11].c_str(), nullptr) + std::strtod(f[12].c_str(), nullptr)) / tick;
    std::string status = ReadFile("/proc/" + std::to_string(pids[i]) + "/status");
    s.rss_kib += StatusKib(status, "VmRSS:");
    s.hwm_kib += StatusKib(status, "VmHWM:");
    if (with_pss) s.pss_kib += StatusKib(ReadFile("/proc/" + std::to_string(pids[i]) + "/smaps_rollup"), "\nPss:");
    s.procs++;
    if (i == 0) s.ok = true;
  }
  return s;
}

double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace msrp::bench
