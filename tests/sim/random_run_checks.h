// The random run's messages and per-frame checks (RandomRun members, defined inline; included
// by random_run_test.cc only): what a client sends (chunked SENDs, misused tokens) and what
// every frame it receives must be.
#pragma once

#include <algorithm>
#include <cstdio>

#include "tests/sim/random_run_model.h"

namespace msrp::sim::rr {

inline std::shared_ptr<const UserDb> RunUsers() {
  std::vector<std::pair<std::string, std::string>> users;
  for (int i = 0; i < 50; ++i) users.emplace_back("u" + std::to_string(i), "p" + std::to_string(i));
  return SimUsers(users);
}

inline std::string RunStats::Describe() const {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "steps %llu, simulated %.1f s, connections %llu (authed %llu, refreshed %llu, peak open %llu), "
                "messages %llu (misuse %llu), chunks %llu (acked 200: %llu, checked delivered: %llu), pieces %llu, "
                "delivered %llu B, aborted '#' %llu, relay REPORTs %llu, forwarded REPORTs %llu, responses %llu, "
                "client drops %llu, engine closes %llu, longest response wait %llu ms, peak queue %llu B, "
                "peak held %llu B, peak waiting body %llu B",
                (unsigned long long)steps, sim_ms / 1000.0, (unsigned long long)opened, (unsigned long long)authed,
                (unsigned long long)refreshed, (unsigned long long)peak_connections, (unsigned long long)messages,
                (unsigned long long)evil, (unsigned long long)chunks, (unsigned long long)acked_chunks,
                (unsigned long long)checked_chunks, (unsigned long long)pieces, (unsigned long long)bytes_delivered,
                (unsigned long long)aborted, (unsigned long long)relay_reports, (unsigned long long)fwd_reports,
                (unsigned long long)responses, (unsigned long long)drops, (unsigned long long)engine_closes,
                (unsigned long long)max_response_ms,
                (unsigned long long)peak_queue, (unsigned long long)peak_held, (unsigned long long)peak_waiting);
  return buf;
}

inline void RandomRun::Fail(const std::string& what) {
  ++failure_count_;
  if (failures_.size() < 25) failures_.push_back("t=" + std::to_string(Now()) + " ms: " + what);
}

inline std::string RandomRun::Tid(Client& c) {
  return "c" + std::to_string(c.idx) + "t" + std::to_string(++c.next_tid);
}

inline std::string RandomRun::ChunkFrame(const Message& m, size_t chunk, const std::string& tid) const {
  const auto [start, len] = m.chunks[chunk];
  const bool last = chunk + 1 == m.chunks.size();
  const uint64_t end = start + len - 1;
  // Byte-Range end given exactly, or '*' for some chunks; total '*' when unknown (F-15).
  const bool star_end = (m.seed >> (chunk % 60)) % 5 == 0;
  std::string out = "MSRP " + tid + " SEND\r\nTo-Path: " + test::JoinPath(m.to_path) + "\r\nFrom-Path: " +
                    clients_[m.sender]->uri + "\r\nMessage-ID: " + m.id + "\r\nByte-Range: " + std::to_string(start) +
                    "-" + (star_end ? std::string("*") : std::to_string(end)) + "/" +
                    (m.unknown_total ? std::string("*") : std::to_string(m.total)) + "\r\n";
  if (!m.fr.empty()) out += "Failure-Report: " + m.fr + "\r\n";
  out += "Content-Type: text/plain\r\n\r\n";
  const size_t body_at = out.size();
  out.resize(body_at + len);
  FillBody(m.seed, start - 1, out.data() + body_at, len);
  out += "\r\n-------" + tid + (last ? '$' : '+') + "\r\n";
  return out;
}

inline void RandomRun::NewMessage(Client& c) {
  Message m;
  m.id = "msg" + std::to_string(messages_.size());
  m.sender = c.idx;
  m.seed = c.rng();
  std::vector<int> peers;
  for (int i : active_) {
    if (clients_[i]->authed && !clients_[i]->closed) peers.push_back(i);
  }
  if (peers.empty()) return;
  const int to = peers[Uniform(c, 0, peers.size() - 1)];
  const int misuse = Coin(c, 0.03) ? static_cast<int>(Uniform(c, 1, 3)) : 0;
  m.receiver = to;
  m.to_token = clients_[to]->token;
  m.first_hop = c.token;
  m.to_path = {c.token, m.to_token, clients_[to]->uri};
  if (misuse == 1 && to != c.idx) {
    // S-01: someone else's token as if it were ours, toward a third party.
    m.first_hop = m.to_token;
    m.to_path = {m.to_token, c.token, c.uri};
  } else if (misuse == 2) {
    m.first_hop = "msrps://relay.example.com:2855/unknown" + std::to_string(messages_.size()) + ";tcp";  // E-05
    m.to_path = {m.first_hop, m.to_token, clients_[to]->uri};
  } else if (misuse == 3) {
    m.first_hop = "msrps://other.example.org:2855/x;tcp";  // not this relay
    m.to_path = {m.first_hop, clients_[to]->uri};
  }
  m.evil = m.first_hop != c.token;
  const uint64_t kind = Uniform(c, 0, 999);
  // Mostly small; a few large enough to fill the watermarks and cross the message limit.
  m.total = kind < 20 ? 0 : kind < 720 ? Uniform(c, 1, 1000) : kind < 960 ? Uniform(c, 1000, 8000)
          : kind < 995 ? Uniform(c, 8000, 48000) : Uniform(c, 48000, 200000);
  const uint64_t max_message = config_->limits.max_message_bytes;
  m.unknown_total = max_message != 0 && m.total > max_message / 2 && Coin(c, 0.5);
  const uint64_t fr = Uniform(c, 0, 9);
  m.fr = fr < 3 ? "" : fr < 6 ? "yes" : fr < 8 ? "partial" : "no";
  if (m.evil) m.fr = "yes";
  size_t pieces = m.total < 2 || Coin(c, 0.5) ? 1 : static_cast<size_t>(Uniform(c, 2, 5));
  std::vector<uint64_t> cuts{0, m.total};
  for (size_t i = 1; i < pieces; ++i) cuts.push_back(Uniform(c, 1, m.total - 1));
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  if (m.total == 0) cuts = {0, 0};
  for (size_t i = 0; i + 1 < cuts.size(); ++i) m.chunks.emplace_back(cuts[i] + 1, cuts[i + 1] - cuts[i]);
  m.report_back = (m.seed & 0xff) < 13;
  const int index = static_cast<int>(messages_.size());
  message_by_id_[m.id] = index;
  for (size_t i = 0; i < m.chunks.size(); ++i) c.chunk_queue.emplace_back(index, i);
  stats_.messages++;
  stats_.evil += m.evil;
  stats_.chunks += m.chunks.size();
  messages_.push_back(std::move(m));
}

inline void RandomRun::Handle(Client& c, const test::Frame& f) {
  if (!f.is_request) {
    HandleResponse(c, f);
  } else if (f.method == "SEND") {
    HandleSend(c, f);
  } else if (f.method == "REPORT") {
    HandleReport(c, f);
  } else {
    Fail("client " + std::to_string(c.idx) + " got an unexpected request: " + f.Describe());
  }
}

inline void RandomRun::HandleResponse(Client& c, const test::Frame& f) {
  stats_.responses++;
  const std::string who = "client " + std::to_string(c.idx) + ": ";
  auto it = c.sent.find(f.tid);
  if (it == c.sent.end()) {
    Fail(who + "response for a transaction it never sent: " + f.Describe());
    return;
  }
  Sent& s = it->second;
  if (s.fully_sent && !winding_down_) {
    const uint64_t waited = Now() - s.fully_sent_at;
    stats_.max_response_ms = std::max(stats_.max_response_ms, waited);
    if (waited > params_.max_response_wait_ms) {
      Fail(who + "response to " + f.tid + " after " + std::to_string(waited) + " ms (R-05, R-18 liveness)");
    }
  }
  if (++s.responses > 1) Fail(who + "second response for " + f.tid);
  s.code = f.status;
  if (f.Path("To-Path") != std::vector<std::string>{c.uri}) {
    Fail(who + "response To-Path is not its URI: " + f.Describe());
  }
  if (s.kind == Kind::kReport) {
    Fail(who + "response to a REPORT (R-13): " + f.Describe());
  } else if (s.kind == Kind::kAuth) {
    if (f.Path("From-Path") != std::vector<std::string>{std::string(kSimRelayAuthUri)}) {
      Fail(who + "AUTH response From-Path: " + f.Describe());
    }
    if (f.status == 401) {
      const std::string www = f.Header("WWW-Authenticate").value_or("");
      const std::string password = c.role == Role::kBadAuth ? "wrong" : c.password;
      const std::string tid = Tid(c);
      test::Headers h{{"To-Path", std::string(kSimRelayAuthUri)},
                      {"From-Path", c.uri},
                      {"Authorization", DigestAuthorization(www, c.user, password, kSimRelayAuthUri, ++c.nc)}};
      if (c.expires != 600) h.emplace_back("Expires", std::to_string(c.expires));
      c.auth_sent_at = Now();  // the relay's expiry is at least this + Expires
      Queue(c, tid, test::EncodeFrame(tid, "AUTH", h, std::nullopt), Sent{Kind::kAuth});
    } else if (f.status == 200 && c.role != Role::kBadAuth) {
      auto use_path = f.Path("Use-Path");
      const std::string token = use_path.empty() ? "" : use_path.back();
      if (token.rfind("msrps://relay.example.com:2855/", 0) != 0) Fail(who + "bad Use-Path: " + f.Describe());
      if (f.Header("Expires") != std::to_string(c.expires)) Fail(who + "Expires not granted: " + f.Describe());
      if (c.refreshing && Now() < c.valid_until && token != c.token) {
        Fail(who + "a re-AUTH before expiry minted a new URI (A-15)");
      }
      if (c.refreshing) stats_.refreshed++;
      if (!c.authed) stats_.authed++;
      c.token = token;
      if (std::find(c.tokens.begin(), c.tokens.end(), token) == c.tokens.end()) c.tokens.push_back(token);
      c.authed = true;
      c.refreshing = false;
      c.valid_until = c.auth_sent_at + uint64_t{c.expires} * 1000;
    } else {
      Fail(who + "unexpected AUTH response: " + f.Describe());
    }
    return;
  }
  // A SEND chunk (or a misused one).
  Message& m = messages_[s.message];
  if (f.Path("From-Path") != std::vector<std::string>{m.first_hop}) {
    Fail(who + "SEND response From-Path is not the To-Path[0] it used (R-07): " + f.Describe());
  }
  if (m.fr == "no") Fail(who + "a response to a SEND with Failure-Report no (R-06): " + f.Describe());
  if (f.status == 200 && m.fr == "partial") Fail(who + "200 to a SEND with Failure-Report partial (R-06)");
  if (f.status == 200 && m.evil) Fail(who + "200 to a SEND misusing a token (S-01): " + m.id);
  if (f.status == 200) {
    m.acked.push_back(Message::Ack{s.start, s.len, Now()});
    stats_.acked_chunks++;
  }
}

inline void RandomRun::HandleSend(Client& c, const test::Frame& f) {
  stats_.pieces++;
  const std::string who = "client " + std::to_string(c.idx) + ": ";
  auto it = message_by_id_.find(f.Header("Message-ID").value_or(""));
  if (it == message_by_id_.end()) {
    Fail(who + "got a SEND nobody sent: " + f.Describe());
    return;
  }
  Message& m = messages_[it->second];
  const Client& sender = *clients_[m.sender];
  // S-01, S-02, R-03: only its own URI, reached through its own token, from the real sender.
  const std::vector<std::string> want_from{m.to_token, m.first_hop, sender.uri};
  if (m.evil || m.receiver != c.idx || f.Path("To-Path") != std::vector<std::string>{c.uri} ||
      f.Path("From-Path") != want_from ||
      std::find(c.tokens.begin(), c.tokens.end(), m.to_token) == c.tokens.end()) {
    Fail(who + "delivered a SEND it did not earn (open relay?) for " + m.id + (m.evil ? " (misuse)" : "") + ": " +
         f.Describe());
    return;
  }
  auto range = test::ParseByteRange(f.Header("Byte-Range").value_or(""));
  const int64_t want_total = m.unknown_total ? -1 : static_cast<int64_t>(m.total);
  if (!range || range->total != want_total || (range->end != -1 && f.body.size() > 2048)) {
    Fail(who + "bad Byte-Range (F-15, R-15): " + f.Describe());
    return;
  }
  if (m.aborted) Fail(who + "a piece after '#' (R-17): " + f.Describe());
  if (static_cast<uint64_t>(range->start) != m.delivered + 1) {
    Fail(who + m.id + ": piece at " + std::to_string(range->start) + " but " + std::to_string(m.delivered) +
         " octets delivered (in order, no gap or repeat)");
    return;
  }
  if (const size_t bad = FirstMismatch(m.seed, m.delivered, f.body); bad != f.body.size()) {
    Fail(who + m.id + ": octet " + std::to_string(m.delivered + bad + 1) + " differs from what was sent");
    return;
  }
  m.delivered += f.body.size();
  stats_.bytes_delivered += f.body.size();
  if (m.delivered > m.total) Fail(who + m.id + ": more octets than the message has");
  const uint64_t max_message = config_->limits.max_message_bytes;
  if (max_message != 0 && m.delivered > max_message) Fail(who + m.id + ": more than limits.max_message_bytes (E-03)");
  if (f.flag == '#') {
    m.aborted = true;
    stats_.aborted++;
  }
  // The endpoint's answer (RFC 4975 §7.1.4): yes -> by mode; partial -> errors only; no -> none.
  const std::string fr = f.Header("Failure-Report").value_or("yes");
  const bool answer_200 = fr == "yes" && c.answer_mode == 0;
  const bool answer_415 = fr != "no" && c.answer_mode == 2;
  if (answer_200 || answer_415) {
    Append(c, AnswerTo(f, c.uri, answer_200 ? 200 : 415, answer_200 ? "OK" : "Unsupported Media Type"));
  }
  if (m.report_back && f.flag == '$') {
    // An end-to-end REPORT back to the sender (forwarded, never answered: R-13).
    const std::string tid = Tid(c);
    std::string frame = test::BuildReport(tid, {m.to_token, m.first_hop, sender.uri}, {c.uri}, m.id,
                                          "1-" + std::to_string(m.delivered) + "/" +
                                              (m.unknown_total ? std::string("*") : std::to_string(m.total)),
                                          "000 200 OK");
    Queue(c, tid, std::move(frame), Sent{Kind::kReport, it->second});
  }
}

inline void RandomRun::HandleReport(Client& c, const test::Frame& f) {
  const std::string who = "client " + std::to_string(c.idx) + ": ";
  auto it = message_by_id_.find(f.Header("Message-ID").value_or(""));
  if (it == message_by_id_.end() || messages_[it->second].sender != c.idx) {
    Fail(who + "got a REPORT about a message it did not send: " + f.Describe());
    return;
  }
  const Message& m = messages_[it->second];
  if (f.Path("To-Path") != std::vector<std::string>{c.uri}) Fail(who + "REPORT To-Path: " + f.Describe());
  const auto from = f.Path("From-Path");
  auto range = test::ParseByteRange(f.Header("Byte-Range").value_or(""));
  // End '*' when the relay refused a chunk at its head before any body octet.
  const int64_t want_total = m.unknown_total ? -1 : static_cast<int64_t>(m.total);
  if (!range || range->start < 1 || range->total != want_total ||
      (range->end != -1 && (range->end < range->start - 1 || static_cast<uint64_t>(range->end) > m.total))) {
    Fail(who + "REPORT Byte-Range outside the message: " + f.Describe());
  }
  if (from.size() == 1) {
    // Generated by the relay: only for Failure-Report yes/partial.
    stats_.relay_reports++;
    const std::string status = f.Header("Status").value_or("");
    if (from[0] != m.first_hop) Fail(who + "relay REPORT From-Path is not the URI it used (R-10): " + f.Describe());
    if (m.fr == "no") Fail(who + "a failure REPORT for Failure-Report no (R-06): " + f.Describe());
    if (status.size() < 7 || status.substr(0, 4) != "000 " || status.substr(4, 3) == "200") {
      Fail(who + "relay REPORT Status is not a failure: " + f.Describe());
    }
    if (f.Header("Success-Report") || f.Header("Failure-Report")) Fail(who + "report headers in a REPORT (R-10)");
  } else if (from != std::vector<std::string>{m.first_hop, m.to_token, clients_[m.receiver]->uri}) {
    Fail(who + "forwarded REPORT not from the message's receiver: " + f.Describe());
  } else {
    stats_.fwd_reports++;
  }
}

}  // namespace msrp::sim::rr
