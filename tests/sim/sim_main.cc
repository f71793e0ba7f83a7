// doctest main for the engine simulation tests (no sockets, simulated clock). The engine's
// log lines are off unless MSRP_SIM_LOG is set (e.g. MSRP_SIM_LOG=debug).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  const char* level = std::getenv("MSRP_SIM_LOG");
  spdlog::set_level(level != nullptr ? spdlog::level::from_str(level) : spdlog::level::off);
  doctest::Context context(argc, argv);
  return context.run();
}
