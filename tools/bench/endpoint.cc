// Endpoint: connection setup and AUTH, framing errors, and loss of the connection.
#include "tools/bench/endpoint.h"

namespace msrp::bench {

Endpoint::Endpoint(uv_loop_t* loop, RunState& run, EndpointListener* listener, PairState* pair)
    : run_(run), pair_(pair), listener_(listener), conn_(loop, this), reader_(this) {}

bool Endpoint::Connect(const std::string& ip, uint16_t port, SSL_CTX* ctx, const std::string& verify_name,
                       std::optional<AuthParams> auth, std::string* error) {
  if (auth) auth_ = std::make_unique<AuthExchange>(std::move(*auth));
  return conn_.Connect(ip, port, ctx, verify_name, error);
}

bool Endpoint::Adopt(int fd, SSL_CTX* ctx, std::string* error) { return conn_.Adopt(fd, ctx, error); }

void Endpoint::OnReady(StreamConn& conn) {
  if (auth_) {
    conn_.Write(auth_->FirstRequest());
    conn_.Flush();
    return;
  }
  ready_ = true;
  listener_->OnEndpointReady(*this);
}

void Endpoint::OnData(StreamConn& conn, std::string_view data) {
  std::string error;
  if (!reader_.Feed(data, &error)) Abort("unparsable bytes from the peer (" + error + ")");
}

void Endpoint::SetupFailed(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  conn_.Close();
  listener_->OnEndpointFailed(*this, why);
}

void Endpoint::Abort(const std::string& kind) {
  if (failed_) return;
  if (!ready_) return SetupFailed(kind);
  failed_ = true;
  conn_.Close();
  run_.Error(kind);
  OnLost(kind);
  listener_->OnEndpointFailed(*this, kind);
}

void Endpoint::OnClosed(StreamConn& conn, const std::string& why) {
  if (!ready_) return SetupFailed(why);
  if (failed_) return;
  failed_ = true;
  run_.Error("connection lost: " + why);
  OnLost(why);
  listener_->OnEndpointFailed(*this, why);
}

void Endpoint::OnHead(const FrameHead& head) {
  if (failed_) return;
  traffic_frame_ = ready_;
  if (ready_) return OnTrafficHead(head);
  if (!auth_) return;
  std::string out, error;
  switch (auth_->OnResponse(head, &out, &error)) {
    case AuthExchange::Step::kSend:
      conn_.Write(out);
      conn_.Flush();
      return;
    case AuthExchange::Step::kDone:
      use_path_ = auth_->use_path();
      auth_.reset();
      ready_ = true;
      listener_->OnEndpointReady(*this);
      return;
    case AuthExchange::Step::kFailed:
      SetupFailed(error);
      return;
  }
}

void Endpoint::OnBody(std::string_view bytes) {
  if (traffic_frame_ && !failed_) OnTrafficBody(bytes);
}

void Endpoint::OnEnd(char flag) {
  bool traffic = traffic_frame_;
  traffic_frame_ = false;
  if (traffic && !failed_) OnTrafficEnd(flag);
}

}  // namespace msrp::bench
