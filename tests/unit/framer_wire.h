// Test helper for the framer unit tests: wire builders for SEND chunks and bodiless messages,
// and checks that framing is the same however the stream is split (F-01..F-10, BR-20). Used by
// tests/unit/framer_*_test.cc.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/framer.h"
#include "common/message_head.h"
#include "tests/unit/framer_recorder.h"
#include "tests/unit/rfc_vectors.h"

namespace msrp {
namespace framer_wire {

using framer_recorder::Describe;
using framer_recorder::Event;
using framer_recorder::FeedAt;
using framer_recorder::FeedBytewise;
using framer_recorder::FeedWhole;
using framer_recorder::FeedWithStops;
using framer_recorder::RandomCuts;
using framer_recorder::RecordingSink;
using framer_recorder::SplitRng;
using Kind = Event::Kind;

/// To-Path and From-Path of the wires built here.
inline constexpr std::string_view kToPath =
    "msrp://relay.example.com:2855/s1;tcp msrp://bob.example.com:7777/b1;tcp";
inline constexpr std::string_view kFromPath = "msrp://alice.example.com:7654/a1;tcp";

/// Head of a SEND with a body, through the empty line that starts the body.
inline std::string SendHead(std::string_view tid) {
  std::string w = "MSRP ";
  w.append(tid).append(" SEND\r\n");
  w.append("To-Path: ").append(kToPath).append("\r\n");
  w.append("From-Path: ").append(kFromPath).append("\r\n");
  w.append("Message-ID: m1x2\r\nByte-Range: 1-*/*\r\nContent-Type: application/octet-stream\r\n\r\n");
  return w;
}

/// The closing "CRLF end-line" of a message with a body.
inline std::string EndAfterBody(std::string_view tid, char flag = '$') {
  std::string w = "\r\n-------";
  w.append(tid);
  w.push_back(flag);
  w.append("\r\n");
  return w;
}

/// A complete SEND chunk carrying `body`.
inline std::string SendWire(std::string_view tid, std::string_view body, char flag = '$') {
  return SendHead(tid) + std::string(body) + EndAfterBody(tid, flag);
}

/// A bodiless request or response: start line, To-Path, From-Path, `extra` lines, end-line.
inline std::string BodilessWire(std::string_view start_line, std::string_view tid, std::string_view extra = "",
                         char flag = '$') {
  std::string w(start_line);
  w.append("\r\nTo-Path: ").append(kToPath).append("\r\nFrom-Path: ").append(kFromPath).append("\r\n");
  w.append(extra);
  w.append("-------").append(tid);
  w.push_back(flag);
  w.append("\r\n");
  return w;
}

/// Compares the events of `wire` fed whole with byte-by-byte, every two-way split, `random_splits`
/// random 3-5 way splits and the Stop()-after-every-event driver. Returns the first difference.
inline std::string FirstSplitMismatch(std::string_view wire, FramerLimits limits = {}, int random_splits = 20,
                               uint64_t seed = 4975) {
  const std::vector<Event> whole = FeedWhole(wire, limits);
  auto differs = [&](const std::vector<Event>& got, const std::string& how) -> std::string {
    if (got == whole) return {};
    return how + ":\n" + Describe(got) + "whole:\n" + Describe(whole);
  };
  if (auto d = differs(FeedBytewise(wire, limits), "byte by byte"); !d.empty()) return d;
  for (size_t k = 1; k < wire.size(); ++k) {
    if (auto d = differs(FeedAt(wire, {k}, limits), "split at " + std::to_string(k)); !d.empty()) return d;
  }
  SplitRng rng(seed);
  for (int i = 0; i < random_splits; ++i) {
    std::vector<size_t> cuts = RandomCuts(rng, wire.size(), 3 + rng.Below(3));
    std::string where;
    for (size_t c : cuts) where += std::to_string(c) + " ";
    if (auto d = differs(FeedAt(wire, cuts, limits), "split at " + where); !d.empty()) return d;
  }
  if (auto d = differs(FeedWithStops(wire, limits), "Stop() after every event"); !d.empty()) return d;
  return {};
}

/// Frames `wire`, checks split invariance, and returns the sink of the whole feed.
inline RecordingSink FrameChecked(std::string_view wire, FramerLimits limits = {}) {
  std::string mismatch = FirstSplitMismatch(wire, limits);
  CHECK_MESSAGE(mismatch.empty(), mismatch);
  RecordingSink sink;
  Framer framer(&sink, limits);
  size_t used = framer.Feed(wire);
  if (!framer.failed()) CHECK(used == wire.size());
  return sink;
}

/// Frames `wire` (split-checked) and expects exactly one SEND with `body` and `flag`.
inline void ExpectSingleBody(std::string_view wire, std::string_view tid, std::string_view body, EndFlag flag,
                      FramerLimits limits = {}) {
  RecordingSink sink = FrameChecked(wire, limits);
  INFO(Describe(sink.events));
  REQUIRE(sink.errors.empty());
  REQUIRE(sink.messages.size() == 1);
  const auto& m = sink.messages[0];
  CHECK(m.head.tid == tid);
  CHECK(m.head.has_body);
  CHECK(m.ended);
  CHECK(m.flag == flag);
  CHECK(m.body.size() == body.size());
  CHECK(m.body == body);
}

/// Feeds `wire` whole and expects exactly one framing error whose reason contains `reason`.
inline FrameError ExpectFrameError(std::string_view wire, std::string_view reason, FramerLimits limits = {}) {
  RecordingSink sink;
  Framer framer(&sink, limits);
  framer.Feed(wire);
  INFO("wire: ", Describe({Event{Event::Kind::kBody, std::string(wire)}}));
  INFO(Describe(sink.events));
  CHECK(framer.failed());
  REQUIRE(sink.errors.size() == 1);
  CHECK(sink.errors[0].reason.find(reason) != std::string::npos);
  CHECK(sink.messages.empty());
  // The same error whatever the read boundaries.
  std::string mismatch = FirstSplitMismatch(wire, limits, 5);
  CHECK_MESSAGE(mismatch.empty(), mismatch);
  return sink.errors[0];
}

inline const std::vector<rfc_vectors::Vector>& Vectors() { return rfc_vectors::Load().messages; }

/// The RFC example titled `title`; fails the test when there is none.
inline rfc_vectors::Vector MustFind(std::string_view title) {
  rfc_vectors::Vector v = rfc_vectors::Find(title);
  INFO("vector: ", std::string(title));
  REQUIRE_FALSE(v.wire.empty());
  return v;
}

}  // namespace framer_wire
}  // namespace msrp
