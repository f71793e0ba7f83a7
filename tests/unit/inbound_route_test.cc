// InboundRoute::Reset (relay/inbound_route.h): the per-connection route of the message being
// read is reused message after message (RFC 4976 §6.4 forwarding state); nothing of one
// message may survive into the next except string capacity.
#include "relay/engine/inbound_route.h"

#include <doctest/doctest.h>

#include <string>

using msrp::EndFlag;
using msrp::FailureReport;
using msrp::Header;
using msrp::relay::InboundRoute;

namespace {

void FillEveryField(InboundRoute& r) {
  r.kind = InboundRoute::Kind::kForward;
  r.is_send = r.is_report = r.has_body = true;
  r.dest = 9;
  r.out_tid = "0123456789abcdefXYZ";
  r.body_bytes = r.max_body = 100;
  r.held_request = std::string(5000, 'h');  // longer than kKeptCapacity: freed
  r.respond_ok_at_end = true;
  r.in_tid = "client-transaction-id-1";
  r.response_to = "msrps://alice.example.com:2855/a1;tcp";
  r.response_from = "msrps://relay.example.com:2855/r1;tcp";
  r.failure_report = FailureReport::kNo;
  r.from_path = "msrps://alice.example.com:2855/a1;tcp";
  r.message_id = "message-id-longer-than-sso";
  r.byte_range = "1-1024/1024";
  r.fail_code_at_end = 408;
  r.method = "NICKNAME";
  r.out_headers = {Header{"To-Path", "msrps://bob.example.com:2855/b1;tcp"}, Header{"From-Path", "x"}};
  r.range.start = 5;
  r.piece_offset = r.piece_bytes = 7;
  r.pieces_sent = 2;
  r.piece_open = r.waiting = r.handed = r.end_pending = true;
  r.end_flag = EndFlag::kAbort;
  r.waiting_body = "waiting";
  r.sender_session = "sender-session-id-long";
  r.receiver_session = "receiver-session-id-long";
}

void CheckLikeFresh(const InboundRoute& r) {
  const InboundRoute fresh;
  CHECK(r.kind == fresh.kind);
  CHECK(r.is_send == fresh.is_send);
  CHECK(r.is_report == fresh.is_report);
  CHECK(r.has_body == fresh.has_body);
  CHECK(r.dest == fresh.dest);
  CHECK(r.body_bytes == fresh.body_bytes);
  CHECK(r.max_body == fresh.max_body);
  CHECK(r.respond_ok_at_end == fresh.respond_ok_at_end);
  CHECK(r.failure_report == fresh.failure_report);
  CHECK(r.fail_code_at_end == fresh.fail_code_at_end);
  CHECK(r.range.start == fresh.range.start);
  CHECK(r.piece_offset == 0);
  CHECK(r.piece_bytes == 0);
  CHECK(r.pieces_sent == 0);
  CHECK_FALSE(r.piece_open);
  CHECK_FALSE(r.waiting);
  CHECK_FALSE(r.handed);
  CHECK_FALSE(r.end_pending);
  CHECK(r.end_flag == fresh.end_flag);
  for (const std::string* s : {&r.out_tid, &r.held_request, &r.in_tid, &r.response_to, &r.response_from,
                               &r.from_path, &r.message_id, &r.byte_range, &r.method, &r.waiting_body,
                               &r.sender_session, &r.receiver_session}) {
    CHECK(s->empty());
  }
  CHECK(r.out_headers.empty());
}

}  // namespace

TEST_CASE("R-03, R-04: Reset leaves a route like a fresh one, keeps short strings' capacity and frees long ones") {
  InboundRoute r;
  FillEveryField(r);
  const size_t in_tid_capacity = r.in_tid.capacity();
  r.Reset();
  CheckLikeFresh(r);
  CHECK(r.in_tid.capacity() == in_tid_capacity);
  CHECK(r.held_request.capacity() <= InboundRoute::kKeptCapacity);
  // The last message's downstream headers wait in spent_headers for the framer to reuse.
  REQUIRE(r.spent_headers.size() == 2);
  CHECK(r.spent_headers[0].name == "To-Path");
}

TEST_CASE("R-03: a route without downstream headers keeps the spent ones of an earlier message") {
  InboundRoute r;
  FillEveryField(r);
  r.Reset();
  r.in_tid = "second";
  r.Reset();  // no out_headers this time (a request sent whole)
  CheckLikeFresh(r);
  CHECK(r.spent_headers.size() == 2);
}
