// Endpoint: one MSRP client connection of the bench (sender, receiver or idle session): TLS
// connect, optional AUTH at the relay, then frames handed to the role's traffic handlers.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <uv.h>

#include "tools/bench/auth_exchange.h"
#include "tools/bench/frame_reader.h"
#include "tools/bench/run_state.h"
#include "tools/bench/stream_conn.h"

namespace msrp::bench {

class Endpoint;
class Sender;

/// Told when endpoints finish setting up or die.
class EndpointListener {
 public:
  virtual ~EndpointListener() = default;
  /// Connected (and authenticated when AUTH was asked for).
  virtual void OnEndpointReady(Endpoint& ep) = 0;
  /// Setup failed or an established connection was lost.
  virtual void OnEndpointFailed(Endpoint& ep, const std::string& why) = 0;
};

/// Base of Sender, Receiver and idle sessions. Owns its StreamConn and FrameReader.
class Endpoint : public StreamConn::Handler, public FrameReader::Sink {
 public:
  Endpoint(uv_loop_t* loop, RunState& run, EndpointListener* listener, PairState* pair);
  ~Endpoint() override = default;

  /// Connects to ip:port (TLS with `ctx`); authenticates with `auth` when given.
  bool Connect(const std::string& ip, uint16_t port, SSL_CTX* ctx, const std::string& verify_name,
               std::optional<AuthParams> auth, std::string* error);
  /// Takes an accepted socket (direct-mode receiver): ready once TLS (if any) is up.
  bool Adopt(int fd, SSL_CTX* ctx, std::string* error);

  StreamConn& conn() { return conn_; }
  /// Set by the Bench for endpoints it connects (counted in the setup phase).
  bool setup_tracked = false;
  PairState* pair() { return pair_; }
  bool ready() const { return ready_; }
  bool failed() const { return failed_; }
  /// The relay URI the AUTH got (empty before or without AUTH).
  const std::string& use_path() const { return use_path_; }

 protected:
  /// Frames after setup.
  virtual void OnTrafficHead(const FrameHead& head) = 0;
  virtual void OnTrafficBody(std::string_view bytes) {}
  virtual void OnTrafficEnd(char flag) {}
  /// The connection died after setup: the role cleans up its pair.
  virtual void OnLost(const std::string& why) {}

  /// Closes the connection after a protocol error, counted as `kind`.
  void Abort(const std::string& kind);

  RunState& run_;
  PairState* pair_;

 private:
  void OnReady(StreamConn& conn) override;
  void OnData(StreamConn& conn, std::string_view data) override;
  void OnClosed(StreamConn& conn, const std::string& why) override;
  void OnHead(const FrameHead& head) override;
  void OnBody(std::string_view bytes) override;
  void OnEnd(char flag) override;
  void SetupFailed(const std::string& why);

  EndpointListener* listener_;
  StreamConn conn_;
  FrameReader reader_;
  std::unique_ptr<AuthExchange> auth_;
  std::string use_path_;
  bool ready_ = false;
  bool failed_ = false;
  bool traffic_frame_ = false;  ///< the frame being read arrived after setup
};

}  // namespace msrp::bench
