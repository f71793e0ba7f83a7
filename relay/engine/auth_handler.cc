// AuthHandler: Digest verification, nonce freshness and nc replay checks, Expires policy and
// Use-Path minting for AUTH requests addressed to this relay.
#include "relay/engine/auth_handler.h"

#include <algorithm>
#include <charconv>

#include <spdlog/spdlog.h>

#include "common/digest.h"
#include "common/header_values.h"
#include "relay/engine/forwarder.h"
#include "relay/engine/log_safe.h"

namespace msrp::relay {

namespace {

/// Keeps the highest nc seen per nonce; false when `nc` does not increase.
bool AcceptNonceCount(Connection& conn, const std::string& nonce, uint32_t nc) {
  for (auto& [n, last] : conn.nonce_counts) {
    if (n == nonce) {
      if (nc <= last) return false;
      last = nc;
      return true;
    }
  }
  if (conn.nonce_counts.size() >= 4) conn.nonce_counts.erase(conn.nonce_counts.begin());
  conn.nonce_counts.emplace_back(nonce, nc);
  return true;
}

}  // namespace

void AuthHandler::Challenge(Connection& conn, const std::string& tid, const std::string& to_path,
                            const std::string& from_path, bool stale) {
  const auto& cfg = *ctx_.config;
  std::string nonce = ctx_.nonces->Issue(ctx_.transport->WallSeconds(), conn.nonce_binding);
  forwarder_->SendResponse(conn, tid, 401, to_path, from_path,
                           {{"WWW-Authenticate", FormatChallenge(cfg.auth.realm, nonce, conn.opaque, stale)}});
}

void AuthHandler::Fail(Connection& conn, const std::string& tid, const std::string& to_path,
                       const std::string& from_path, const std::string& user, const std::string& why,
                       bool via_relay) {
  if (!via_relay) conn.auth_failures++;  // never close a relay-to-relay connection for this
  ctx_.counters.auth_failures++;
  SPDLOG_INFO("[c{} {}] AUTH failed for user '{}': {} ({} of {})", conn.id(), conn.peer(), LogSafe(user), LogSafe(why, 200),
              conn.auth_failures, ctx_.config->auth.max_failures);
  Challenge(conn, tid, to_path, from_path, false);
  if (!via_relay && conn.auth_failures >= ctx_.config->auth.max_failures) {
    ctx_.counters.auth_failure_closes++;
    conn.CloseAfterFlush("too many failed AUTH attempts");
  }
}

void AuthHandler::Handle(Connection& conn, const MessageHead& head, const ParsedPath& to, const ParsedPath& from,
                         const std::string& from_value, bool via_relay) {
  const auto& cfg = *ctx_.config;
  const std::string& tid = head.tid;
  const std::string& to_uri = to.raw[0];  // the rightmost (only) To-Path URI, byte-exact
  if (!conn.is_tls()) {
    forwarder_->SendResponse(conn, tid, 403, from_value, to_uri);
    conn.CloseAfterFlush("AUTH over a connection without TLS");
    return;
  }
  auto authorization = head.Value("Authorization");
  if (!authorization) {
    SPDLOG_DEBUG("[c{}] AUTH without credentials: challenged", conn.id());
    ctx_.counters.auth_challenges++;
    Challenge(conn, tid, from_value, to_uri, false);
    return;
  }
  auto creds = ParseAuthorization(*authorization);
  if (!creds.ok()) {
    Fail(conn, tid, from_value, to_uri, "", "bad Authorization: " + creds.error(), via_relay);
    return;
  }
  const DigestCredentials& c = creds.value();
  if (c.realm != cfg.auth.realm) {
    Fail(conn, tid, from_value, to_uri, c.username, "wrong realm", via_relay);
    return;
  }
  if (c.uri && *c.uri != to_uri) {
    Fail(conn, tid, from_value, to_uri, c.username, "uri= does not match the To-Path URI", via_relay);
    return;
  }
  auto ha1 = ctx_.users->FindHa1(c.username, c.realm);
  if (!ha1) {
    Fail(conn, tid, from_value, to_uri, c.username, "unknown user", via_relay);
    return;
  }
  NonceCheck nonce_check = ctx_.nonces->Verify(c.nonce, ctx_.transport->WallSeconds(), conn.nonce_binding);
  if (nonce_check == NonceCheck::kInvalid) {
    Fail(conn, tid, from_value, to_uri, c.username, "nonce not issued on this connection", via_relay);
    return;
  }
  std::string expected = ComputeResponse(*ha1, c.nonce, c.nc, c.cnonce, c.qop, to_uri);
  if (!ConstantTimeEquals(expected, c.response)) {
    Fail(conn, tid, from_value, to_uri, c.username, "wrong credentials", via_relay);
    return;
  }
  if (nonce_check == NonceCheck::kStale) {
    SPDLOG_INFO("[c{} {}] AUTH for user '{}' with a stale nonce: challenged again", conn.id(), conn.peer(),
                LogSafe(c.username));
    ctx_.counters.auth_stale++;
    Challenge(conn, tid, from_value, to_uri, true);
    return;
  }
  uint32_t nc = 0;  // 8 hex digits, checked by the parser
  std::from_chars(c.nc.data(), c.nc.data() + c.nc.size(), nc, 16);
  if (!AcceptNonceCount(conn, c.nonce, nc)) {
    Fail(conn, tid, from_value, to_uri, c.username, "nonce count replayed", via_relay);
    return;
  }

  // the password is right, but this user may not use the relay.
  const auto& allowed = cfg.auth.allow_users;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), c.username) == allowed.end()) {
    ctx_.counters.auth_forbidden++;
    SPDLOG_INFO("[c{} {}] AUTH refused for user '{}': not in auth.allow_users", conn.id(), conn.peer(),
                LogSafe(c.username));
    forwarder_->SendResponse(conn, tid, 403, from_value, to_uri);
    return;
  }

  // Expires bounds, checked once the client is known.
  uint32_t granted = cfg.auth.expires.default_s;
  if (auto expires = head.Value("Expires")) {
    auto value = ParseExpires(*expires);
    if (!value.ok()) {
      forwarder_->SendResponse(conn, tid, 400, from_value, to_uri);
      return;
    }
    if (value.value() < cfg.auth.expires.min) {
      forwarder_->SendResponse(conn, tid, 423, from_value, to_uri,
                               {{"Min-Expires", std::to_string(cfg.auth.expires.min)}});
      return;
    }
    if (value.value() > cfg.auth.expires.max) {
      forwarder_->SendResponse(conn, tid, 423, from_value, to_uri,
                               {{"Max-Expires", std::to_string(cfg.auth.expires.max)}});
      return;
    }
    granted = value.value();
  }

  // Refresh the session this client already holds on this connection, or mint a new one.
  uint64_t now = ctx_.now_ms();
  Session* session = nullptr;
  auto& held = via_relay ? conn.relay_session_ids : conn.session_ids;
  for (const auto& id : held) {
    Session* s = ctx_.sessions.Find(id, now);
    if (s != nullptr && s->user == c.username && s->client_path == from_value) session = s;
  }
  bool refreshed = session != nullptr;
  if (session == nullptr) {
    Session fresh;
    fresh.id = RandomToken(16);  // 128 bits (U-09, S-03)
    // U-07: our FQDN and the TLS port the AUTH came in on (a TLS listener's port when it came
    // over a connection we opened to a relay).
    uint16_t port = conn.listener_port() != 0 ? conn.listener_port() : ctx_.tls_port;
    fresh.uri = "msrps://" + cfg.relay.hostname + ":" + std::to_string(port) + "/" + fresh.id + ";tcp";
    auto parsed = ParseUri(fresh.uri);
    if (!parsed.ok()) {
      SPDLOG_ERROR("minted Use-Path URI does not parse: {}", parsed.error());
      forwarder_->SendResponse(conn, tid, 403, from_value, to_uri);
      return;
    }
    fresh.parsed_uri = std::move(parsed.value());
    if (via_relay) {
      fresh.relay_owner = conn.relay_identity;  // valid on any connection to that relay
    } else {
      fresh.owner = conn.id();
    }
    fresh.user = c.username;
    fresh.client_path = from_value;
    fresh.created_ms = now;
    session = ctx_.sessions.Add(std::move(fresh));
    if (held.size() >= 64 && via_relay) held.erase(held.begin());  // refresh lookup only: bounded
    held.push_back(session->id);
  }
  session->expires_ms = now + uint64_t{granted} * 1000;

  // relays already between the client and us (From-Path minus its last URI, reversed)
  // followed by our URI.
  std::string use_path;
  for (size_t i = from.size() - 1; i-- > 0;) use_path.append(from.raw[i]).push_back(' ');
  use_path.append(session->uri);
  std::string rspauth = ComputeRspauth(*ha1, c.nonce, c.nc, c.cnonce, c.qop, to_uri);
  forwarder_->SendResponse(conn, tid, 200, from_value, to_uri,
                           {{"Use-Path", use_path},
                            {"Expires", std::to_string(granted)},
                            {"Authentication-Info", FormatAuthenticationInfo(rspauth, c.cnonce, c.nc, "")}});
  conn.had_success = true;
  if (!via_relay) conn.auth_failures = 0;
  ctx_.counters.auth_successes++;
  SPDLOG_INFO("[c{} {}] AUTH ok for user '{}' realm '{}': session {} {} for {} s{}{}", conn.id(), conn.peer(),
              LogSafe(c.username), LogSafe(c.realm),
              session->id.substr(0, 4) + "...", refreshed ? "refreshed" : "created", granted,
              via_relay ? ", bound to relay " : "", via_relay ? LogSafe(conn.relay_identity, 100) : "");
}

}  // namespace msrp::relay
