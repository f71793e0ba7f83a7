// Unit tests of Framer::Stop() and empty feeds: the framer returns right after the callback that
// stopped it and continues with the rest of the stream (R-16, F-10).
#include "common/framer.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "common/message_head.h"
#include "tests/unit/framer_recorder.h"
#include "tests/unit/framer_wire.h"
#include "tests/unit/rfc_vectors.h"

namespace msrp {
namespace {

using namespace framer_wire;

TEST_CASE("R-16: Stop() from OnHead makes Feed return right after the head; feeding the rest continues the message") {
  class StopOnHead : public RecordingSink {
   public:
    Framer* framer = nullptr;
    void OnHead(MessageHead& head) override {
      RecordingSink::OnHead(head);
      framer->Stop();
    }
  };
  const std::string wire = SendWire("st0p", "body bytes") + BodilessWire("MSRP n3xt 200 OK", "n3xt");
  StopOnHead sink;
  Framer framer(&sink, FramerLimits{});
  sink.framer = &framer;
  size_t used = framer.Feed(wire);
  CHECK(used == SendHead("st0p").size());
  CHECK(framer.in_body());
  CHECK(sink.events.size() == 1);
  // The second head stops the Feed again, but a bodiless message's OnEnd belongs to its head.
  size_t more = framer.Feed(std::string_view(wire).substr(used));
  CHECK(used + more == wire.size());
  CHECK(sink.events.size() == 5);
  CHECK(sink.messages.size() == 2);
  CHECK(sink.messages[0].body == "body bytes");
  CHECK(FeedWithStops(wire) == FeedWhole(wire));
}

/// Records events and flags any callback that arrives after Stop() within the same Feed.
class StopOnBodySink : public RecordingSink {
 public:
  Framer* framer = nullptr;
  bool stop_next_body = false;
  bool stopped_in_this_feed = false;
  int late_callbacks = 0;

  void OnHead(MessageHead& head) override {
    Late();
    RecordingSink::OnHead(head);
  }
  void OnBody(std::string_view bytes) override {
    Late();
    RecordingSink::OnBody(bytes);
    if (stop_next_body) {
      stop_next_body = false;
      stopped_in_this_feed = true;
      framer->Stop();
    }
  }
  void OnEnd(EndFlag flag) override {
    Late();
    RecordingSink::OnEnd(flag);
  }
  size_t Feed(std::string_view data) {
    stopped_in_this_feed = false;
    return framer->Feed(data);
  }

 private:
  void Late() {
    if (stopped_in_this_feed) ++late_callbacks;
  }
};

TEST_CASE("R-16: Stop() from OnBody makes Feed return right after that callback, before the end-line; feeding the rest delivers OnEnd") {
  StopOnBodySink sink;
  Framer framer(&sink, FramerLimits{});
  sink.framer = &framer;
  const std::string head = SendHead("abcd");
  REQUIRE(sink.Feed(head) == head.size());

  // The end-line lies in the same slice as the body bytes: it stays unconsumed.
  const std::string rest = "body" + EndAfterBody("abcd") + BodilessWire("MSRP n3xt 200 OK", "n3xt");
  sink.stop_next_body = true;
  size_t used = sink.Feed(rest);
  CHECK(used == 4);
  CHECK(sink.late_callbacks == 0);
  CHECK(framer.in_body());
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].body == "body");
  CHECK_FALSE(sink.messages[0].ended);
  used += sink.Feed(std::string_view(rest).substr(used));
  CHECK(used == rest.size());
  REQUIRE(sink.messages.size() == 2);
  CHECK(sink.messages[0].ended);
  CHECK(sink.messages[1].ended);
  CHECK(sink.late_callbacks == 0);
}

TEST_CASE("R-16: Stop() from the OnBody that releases held-back bytes makes Feed return before the next body bytes and the end-line") {
  StopOnBodySink sink;
  Framer framer(&sink, FramerLimits{});
  sink.framer = &framer;
  const std::string head = SendHead("abcd");
  REQUIRE(sink.Feed(head + "xx\r") == head.size() + 3);
  CHECK(sink.messages[0].body == "xx");

  const std::string rest = "yy" + EndAfterBody("abcd");
  sink.stop_next_body = true;  // the held CR is released by the 'y' that follows
  size_t used = sink.Feed(rest);
  CHECK(sink.late_callbacks == 0);
  CHECK(sink.messages[0].body == "xx\r");
  CHECK_FALSE(sink.messages[0].ended);
  while (used < rest.size() && !framer.failed()) {
    size_t n = sink.Feed(std::string_view(rest).substr(used));
    if (n == 0) break;
    used += n;
  }
  CHECK(used == rest.size());
  CHECK(sink.messages[0].body == "xx\ryy");
  CHECK(sink.messages[0].ended);
  CHECK(sink.late_callbacks == 0);
}

TEST_CASE("F-10: Feed of an empty slice emits nothing and returns 0 in every state") {
  RecordingSink sink;
  Framer framer(&sink, FramerLimits{});
  CHECK(framer.Feed("") == 0);
  framer.Feed("MSRP ab");
  CHECK(framer.Feed("") == 0);
  framer.Feed("cd SEND\r\nTo-Path: a\r\nFrom-Path: b\r\nContent-Type: c\r\n\r\nbo");
  CHECK(framer.Feed("") == 0);
  framer.Feed("dy\r\n-------abcd$\r\n");
  CHECK(framer.Feed("") == 0);
  REQUIRE(sink.messages.size() == 1);
  CHECK(sink.messages[0].body == "body");
  CHECK(sink.events.size() == 3);
}

}  // namespace
}  // namespace msrp
