// msrp-bench: measures an MSRP relay (RFC 4976) or a direct/TLS-proxy baseline with N
// sender/receiver pairs, verifying every delivered byte. See --help.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <iostream>

#include "tools/bench/bench_options.h"
#include "tools/bench/bench_result.h"
#include "tools/bench/bench_run.h"

int main(int argc, char** argv) {
  int exit_code = 0;
  auto options = msrp::bench::ParseOptions(argc, argv, &exit_code);
  if (!options) return exit_code;
  signal(SIGPIPE, SIG_IGN);
  // Many idle sessions need many descriptors: take the hard limit.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  msrp::bench::BenchResult result;
  std::string error;
  {
    msrp::bench::Bench bench(*options);
    if (!bench.Run(&result, &error)) {
      std::fprintf(stderr, "msrp-bench: %s\n", error.c_str());
      return 1;
    }
  }
  std::cout << msrp::bench::FormatText(result);
  if (options->json) std::cout << msrp::bench::FormatJson(result) << "\n";
  std::cout.flush();
  bool good = result.errors == 0 && (result.mode == "idle" || result.verified);
  return good ? 0 : 1;
}
