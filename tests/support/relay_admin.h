// What an operator does to a running relay in the operations tests: rewrite its files, send
// SIGHUP and wait for the outcome, and check that a message still crosses it.
#pragma once

#include <cstddef>
#include <string>

#include "tests/support/relay_process.h"
#include "tests/support/scenario.h"

namespace msrp::test {

/// Replaces the file at `path` with `text` (REQUIREs success).
void WriteText(const std::string& path, const std::string& text);
/// The whole file at `path`; empty if it cannot be read.
std::string ReadText(const std::string& path);

/// One htdigest line `user:relay.test:HA1` for `password`.
std::string UserLine(const std::string& user, const std::string& password);
/// The users file RelayProcess writes: alice, bob and carol.
std::string DefaultUsers();

/// 1-based number of the first line of `text` that starts with `line_prefix`; 0 if none.
int LineNumberOf(const std::string& text, const std::string& line_prefix);

/// Sends SIGHUP and waits (5 s) for a log line matching `outcome_regex` after it; returns the
/// log written since the signal.
std::string ReloadAndWait(RelayProcess& relay, const std::string& outcome_regex);

/// One SEND from `from` to `to`: the relay's 200 to the sender, the byte-exact forward, and
/// the receiver's 200.
void RelayOneMessage(const Peer& from, const Peer& to, const std::string& body);

/// `message` from A to B as consecutive SENDs of `chunk` octets (Failure-Report no, one
/// Message-ID, exact Byte-Ranges, '+' on all but the last, which ends in '$').
std::string ChunkedSends(const PeerPair& p, const std::string& message, const std::string& message_id,
                         size_t chunk);

}  // namespace msrp::test
