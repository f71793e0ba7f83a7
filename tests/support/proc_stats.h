// Probes of the relay process and its log for the e2e tests: the `counters:` line logged at
// shutdown, sanitizer reports, bounded polling, raw sockets from a chosen source address.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "tests/support/msrp_client.h"

namespace msrp::test {

class RelayProcess;

/// name -> value of the relay's `counters: a=1 b=2 ...` log line.
using RelayCounters = std::map<std::string, uint64_t>;

/// Parses the last `counters:` line of `log`; empty when there is none.
RelayCounters ParseCounters(const std::string& log);

/// Stops the relay (SIGTERM; it logs its counters while stopping) and returns the counters;
/// throws with the log tail when no `counters:` line was logged.
RelayCounters StopAndReadCounters(RelayProcess& relay);

/// The lines of `log` that report a sanitizer finding ("ERROR: AddressSanitizer",
/// "ERROR: LeakSanitizer", UBSan "runtime error:", a sanitizer fatal error) with up to 30
/// following lines each; empty when there is none.
std::string SanitizerReport(const std::string& log);

/// Calls `done` every `step` until it returns true (then true) or `timeout` passes (false).
bool PollUntil(const std::function<bool()>& done, Millis timeout, Millis step = Millis(20));

/// True once the relay log holds `needle` at or after byte offset `from`, within `timeout`.
bool WaitForLog(const RelayProcess& relay, const std::string& needle, Millis timeout,
                size_t from = 0);

/// Number of occurrences of `needle` in `text`.
size_t CountOccurrences(const std::string& text, const std::string& needle);

/// The local port of a connected socket (0 on error).
uint16_t LocalPort(int fd);

/// The relay's connection tag (e.g. "c7") for the client whose local port is `local_port`, taken
/// from the `[cN 127.0.0.1:PORT] connection opened` line; empty when not logged (yet).
std::string ConnectionTag(const RelayProcess& relay, uint16_t local_port);

/// Waits until the relay logged `[<tag> ...] connection closed`; returns that line ("" on timeout).
std::string WaitConnectionClosed(const RelayProcess& relay, const std::string& tag, Millis timeout);

/// "fd -> target" lines for every open descriptor of process `pid` (/proc/PID/fd), e.g. to
/// explain a descriptor count.
std::string DescribeFds(int pid);

/// True once raw socket `fd` has bytes to read (or EOF) within `timeout`; reads nothing.
bool WaitReadable(int fd, Millis timeout);

/// Plain TCP connection from `source` (an IPv4 literal; empty = any) to 127.0.0.1:port,
/// non-blocking after connect, CLOEXEC; -1 on failure.
int RawTcpConnectFrom(uint16_t port, const std::string& source);

/// Reads and discards from a raw socket until EOF or an error (true) or `timeout` (false).
bool RawWaitClosed(int fd, Millis timeout);

/// Closes a raw socket with RST (SO_LINGER 0).
void RawAbort(int fd);

}  // namespace msrp::test
