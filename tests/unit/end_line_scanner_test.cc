// Unit tests for common/end_line_scanner: the streaming end-line matcher (F-09, F-10, BR-19,
// BR-20, BR-21), with exact emitted bytes, held-back bounds, and a differential test against a
// naive search over random bodies and random read boundaries.
#include "common/end_line_scanner.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/framer_recorder.h"

namespace msrp {
namespace {

using framer_recorder::SplitRng;

/// What one run of a scanner over a list of pieces produced.
struct ScanRun {
  std::string emitted;          ///< all body bytes, in order
  size_t emits = 0;             ///< number of emit calls (empty ones included)
  size_t empty_emits = 0;
  bool found = false;
  EndFlag flag = EndFlag::kComplete;
  size_t consumed_total = 0;    ///< bytes consumed up to and including the end-line (or all)
  size_t max_held = 0;          ///< largest held() seen between pieces
  bool conserved = true;        ///< emitted + held == consumed after every piece before the end
};

/// Scans `pieces` in order with a fresh scanner for `tid`, stopping at the end-line.
ScanRun ScanPieces(std::string_view tid, const std::vector<std::string_view>& pieces) {
  EndLineScanner scanner;
  scanner.Reset(tid);
  ScanRun run;
  for (std::string_view piece : pieces) {
    auto step = scanner.Scan(piece, [&](std::string_view bytes) {
      ++run.emits;
      if (bytes.empty()) ++run.empty_emits;
      run.emitted.append(bytes);
    });
    run.consumed_total += step.consumed;
    if (scanner.held() > run.max_held) run.max_held = scanner.held();
    if (step.found) {
      run.found = true;
      run.flag = step.flag;
      break;
    }
    if (step.consumed != piece.size()) run.conserved = false;
    if (run.emitted.size() + scanner.held() != run.consumed_total) run.conserved = false;
  }
  return run;
}

/// `stream` cut at the ascending offsets `cuts`.
std::vector<std::string_view> Cut(std::string_view stream, const std::vector<size_t>& cuts) {
  std::vector<std::string_view> pieces;
  size_t from = 0;
  for (size_t c : cuts) {
    if (c < from || c > stream.size()) continue;
    pieces.push_back(stream.substr(from, c - from));
    from = c;
  }
  pieces.push_back(stream.substr(from));
  return pieces;
}

std::vector<std::string_view> Bytewise(std::string_view stream) {
  std::vector<std::string_view> pieces;
  for (size_t i = 0; i < stream.size(); ++i) pieces.push_back(stream.substr(i, 1));
  return pieces;
}

/// Naive reference: the first "CRLF ------- tid flag CRLF" in `stream`.
struct Reference {
  bool found = false;
  size_t body_end = 0;  ///< where the body stops (start of the CRLF before the end-line)
  size_t line_end = 0;  ///< just past the end-line's CRLF
  char flag = 0;
};

Reference NaiveFind(std::string_view stream, std::string_view tid) {
  const std::string fixed = "\r\n-------" + std::string(tid);
  for (size_t at = 0; at + fixed.size() + 3 <= stream.size(); ++at) {
    if (stream.substr(at, fixed.size()) != fixed) continue;
    char flag = stream[at + fixed.size()];
    if (flag != '$' && flag != '+' && flag != '#') continue;
    if (stream.substr(at + fixed.size() + 1, 2) != "\r\n") continue;
    return Reference{true, at, at + fixed.size() + 3, flag};
  }
  return Reference{false, stream.size(), stream.size(), 0};
}

std::string EndLine(std::string_view tid, char flag) { return "\r\n-------" + std::string(tid) + flag + "\r\n"; }

TEST_CASE("F-09: a body followed by CRLF -------tid$ CRLF is found in one scan; consumption stops right after the end-line") {
  const std::string stream = "Hello" + EndLine("abcd", '$') + "MSRP next";
  ScanRun run = ScanPieces("abcd", {stream});
  CHECK(run.found);
  CHECK(run.flag == EndFlag::kComplete);
  CHECK(run.emitted == "Hello");
  CHECK(run.consumed_total == 5 + 16);
  CHECK(stream.substr(run.consumed_total) == "MSRP next");
}

TEST_CASE("F-09, BR-23: the flag of the end-line is reported: '$', '+' and '#'") {
  for (char flag : {'$', '+', '#'}) {
    ScanRun run = ScanPieces("t1d2", {"x" + EndLine("t1d2", flag)});
    CHECK(run.found);
    CHECK(static_cast<char>(run.flag) == flag);
    CHECK(run.emitted == "x");
  }
}

TEST_CASE("F-07, F-08: an empty body is an end-line at the very start of the scan") {
  const std::string stream = EndLine("e0e0", '$');
  ScanRun run = ScanPieces("e0e0", {stream});
  CHECK(run.found);
  CHECK(run.emitted.empty());
  CHECK(run.consumed_total == stream.size());
}

TEST_CASE("F-10, BR-21: end-line look-alikes are body: other tid, longer tid, bad flag, missing CRLF, 6 or 8 dashes, no leading CRLF") {
  const std::string tid = "abcd";
  for (std::string body :
       {std::string("\r\n-------abce$\r\n"), std::string("\r\n-------abcde$\r\n"), std::string("\r\n-------ABCD$\r\n"),
        std::string("\r\n-------abcd!\r\n"), std::string("\r\n-------abcd$\n"), std::string("\r\n-------abcd$x\r\n"),
        std::string("\r\n------abcd$\r\n"), std::string("\r\n--------abcd$\r\n"), std::string("-------abcd$\r\n"),
        std::string("\n-------abcd$\r\n"), std::string("\r-------abcd$\r\n"), std::string("\r\n-------abc$\r\n"),
        std::string("\r\n-------abcd$\r\r\n-------abcd\r\n"), std::string("\r\n\r\n\r\n")}) {
    INFO(framer_recorder::Describe({{framer_recorder::Event::Kind::kBody, body}}));
    const std::string stream = body + EndLine(tid, '+');
    ScanRun run = ScanPieces(tid, {stream});
    CHECK(run.found);
    CHECK(run.flag == EndFlag::kMore);
    CHECK(run.emitted == body);
    CHECK(run.consumed_total == stream.size());
  }
}

TEST_CASE("BR-20: bytes that may start the end-line are held back across pieces and released on mismatch") {
  EndLineScanner scanner;
  scanner.Reset("abcd");
  std::string emitted;
  auto emit = [&](std::string_view b) { emitted.append(b); };

  auto step = scanner.Scan("body\r", emit);
  CHECK(step.consumed == 5);
  CHECK_FALSE(step.found);
  CHECK(emitted == "body");
  CHECK(scanner.held() == 1);

  step = scanner.Scan("\n-------ab", emit);
  CHECK(step.consumed == 10);
  CHECK(emitted == "body");
  CHECK(scanner.held() == 11);

  step = scanner.Scan("cd$\r", emit);
  CHECK(step.consumed == 4);
  CHECK(emitted == "body");
  CHECK(scanner.held() == 15);  // all but the final LF

  step = scanner.Scan("x", emit);  // "$\rx": not an end-line
  CHECK(step.consumed == 1);
  CHECK_FALSE(step.found);
  CHECK(emitted == "body\r\n-------abcd$\rx");
  CHECK(scanner.held() == 0);

  step = scanner.Scan("\r\n-------abcd#\r\ntail", emit);
  CHECK(step.found);
  CHECK(step.flag == EndFlag::kAbort);
  CHECK(step.consumed == 16);
  CHECK(emitted == "body\r\n-------abcd$\rx");
  CHECK(scanner.held() == 0);
}

TEST_CASE("BR-20: a held prefix that fails keeps a later CR that can still start the end-line") {
  // "\r\n-------abcd$\r" then "\r\n-------abcd$\r\n": the second CR of "$\r\r" starts the real end-line.
  ScanRun run = ScanPieces("abcd", {"\r\n-------abcd$\r", "\r\n-------abcd$\r\n"});
  CHECK(run.found);
  CHECK(run.emitted == "\r\n-------abcd$\r");
  // Same at every split of the whole stream.
  const std::string stream = "\r\n-------abcd$\r\r\n-------abcd$\r\n";
  for (size_t k = 0; k <= stream.size(); ++k) {
    INFO("split at ", k);
    ScanRun r = ScanPieces("abcd", Cut(stream, {k}));
    CHECK(r.found);
    CHECK(r.emitted == "\r\n-------abcd$\r");
    CHECK(r.consumed_total == stream.size());
  }
}

TEST_CASE("F-02: the longest tid (32 characters) holds back at most 12 + 32 - 1 bytes, and Reset clears the held bytes") {
  const std::string tid = "0123456789abcdefghijKLMNOPQRST.-";
  REQUIRE(tid.size() == 32);
  EndLineScanner scanner;
  scanner.Reset(tid);
  std::string emitted;
  auto emit = [&](std::string_view b) { emitted.append(b); };
  const std::string almost = "\r\n-------" + tid + "$\r";
  auto step = scanner.Scan(almost, emit);
  CHECK_FALSE(step.found);
  CHECK(scanner.held() == 43);
  CHECK(emitted.empty());
  scanner.Reset(tid);
  CHECK(scanner.held() == 0);
  step = scanner.Scan("z" + EndLine(tid, '$'), emit);
  CHECK(step.found);
  CHECK(emitted == "z");
}

TEST_CASE("F-02: tids with the ident characters . - + % = match literally") {
  for (std::string tid : {std::string("a.b-"), std::string("x+y%z=w"), std::string("9---"), std::string("A=%+.-")}) {
    INFO("tid: ", tid);
    const std::string stream = "q\r\n--------" + tid + "$\r\n" + EndLine(tid, '#');
    ScanRun run = ScanPieces(tid, Bytewise(stream));
    CHECK(run.found);
    CHECK(run.flag == EndFlag::kAbort);
    CHECK(run.emitted == "q\r\n--------" + tid + "$\r\n");
  }
}

TEST_CASE("BR-19: a body of all 256 octet values is emitted unchanged, whole and byte by byte") {
  std::string body;
  for (int c = 0; c < 256; ++c) body.push_back(static_cast<char>(c));
  body += body;
  const std::string stream = body + EndLine("b1n4", '$');
  for (const auto& pieces : {std::vector<std::string_view>{stream}, Bytewise(stream)}) {
    ScanRun run = ScanPieces("b1n4", pieces);
    CHECK(run.found);
    CHECK(run.emitted == body);
    CHECK(run.conserved);
  }
}

TEST_CASE("BR-09: a long body without CR is emitted in one call per piece and nothing is held") {
  const std::string body(100000, 'a');
  EndLineScanner scanner;
  scanner.Reset("l0ng");
  size_t calls = 0, bytes = 0;
  auto step = scanner.Scan(body, [&](std::string_view b) {
    ++calls;
    bytes += b.size();
  });
  CHECK(step.consumed == body.size());
  CHECK(calls == 1);
  CHECK(bytes == body.size());
  CHECK(scanner.held() == 0);
}

TEST_CASE("R-16: with a stop request Scan returns right after the emit that released held bytes, and reports an end-line found in the same slice") {
  EndLineScanner scanner;
  scanner.Reset("abcd");
  std::string emitted;
  bool stop = false;
  auto emit = [&](std::string_view b) {
    emitted.append(b);
    stop = true;
  };
  auto stop_requested = [&] { return stop; };

  auto step = scanner.Scan("xx\r\n--", emit, stop_requested);
  CHECK(step.consumed == 6);
  CHECK(emitted == "xx");
  CHECK(scanner.held() == 4);

  // 'y' breaks the held "\r\n--": they are emitted and the scan stops before consuming 'y'.
  stop = false;
  step = scanner.Scan("yy\r\n-------abcd$\r\nnext", emit, stop_requested);
  CHECK(step.consumed == 0);
  CHECK_FALSE(step.found);
  CHECK(emitted == "xx\r\n--");
  CHECK(scanner.held() == 0);

  // Body then end-line in one slice: found, and the end-line is the tail of what was consumed.
  stop = false;
  step = scanner.Scan("yy\r\n-------abcd$\r\nnext", emit, stop_requested);
  CHECK(step.found);
  CHECK(step.consumed == 2 + 16);
  CHECK(scanner.end_line_length() == 16);
  CHECK(emitted == "xx\r\n--yy");
}

TEST_CASE("F-10, BR-20, BR-21: random bodies over CR LF - $ + # and tid characters, split at random points, agree with a naive search") {
  const std::string tids[] = {"abcd", "a-b-", "x", "0123456789abcdefghijKLMNOPQRST.-"};
  const char alphabet[] = {'\r', '\n', '-', '$', '+', '#', 'a', 'b', 'c', 'd', 'x', '-', '\r', '\n', '\0', '\xff'};
  SplitRng rng(7);
  int cases = 0, found_cases = 0;
  for (int iteration = 0; iteration < 3000; ++iteration) {
    std::string tid = tids[rng.Below(4)];
    if (tid == "x") tid = "x-" + std::to_string(iteration % 97) + "y";
    std::string stream;
    size_t len = rng.Below(80);
    for (size_t i = 0; i < len; ++i) {
      size_t pick = rng.Below(20);
      if (pick < 16) {
        stream.push_back(alphabet[pick]);
      } else if (pick < 18) {
        stream += "\r\n-------" + tid.substr(0, rng.Below(tid.size() + 1));  // partial end-lines
      } else if (pick < 19) {
        stream += tid;
      } else {
        stream += "\r\n-------" + tid + alphabet[rng.Below(8)];
      }
    }
    if (rng.Below(2) == 0) stream += EndLine(tid, "$+#"[rng.Below(3)]);
    stream += "tail";
    const Reference ref = NaiveFind(stream, tid);
    std::vector<size_t> cuts;
    size_t pieces = 1 + rng.Below(6);
    for (size_t i = 1; i < pieces; ++i) cuts.push_back(rng.Below(stream.size() + 1));
    std::sort(cuts.begin(), cuts.end());
    for (const auto& split : {Cut(stream, cuts), Bytewise(stream)}) {
      ScanRun run = ScanPieces(tid, split);
      ++cases;
      bool ok = run.found == ref.found && run.max_held < 12 + tid.size() && run.conserved;
      if (ref.found) {
        ok = ok && run.consumed_total == ref.line_end && static_cast<char>(run.flag) == ref.flag &&
             run.emitted == stream.substr(0, ref.body_end);
      } else {
        // Not found: the stream ends in "tail", so nothing can still be held back.
        ok = ok && run.consumed_total == stream.size() && run.emitted == stream;
      }
      if (!ok) {
        FAIL_CHECK("mismatch for tid " << tid << " stream "
                                       << framer_recorder::Describe({{framer_recorder::Event::Kind::kBody, stream}})
                                       << " emitted "
                                       << framer_recorder::Describe({{framer_recorder::Event::Kind::kBody, run.emitted}}));
        return;
      }
      if (ref.found) ++found_cases;
    }
  }
  CHECK(cases == 6000);
  CHECK(found_cases > 1000);
}

}  // namespace
}  // namespace msrp
