// Socket-buffer BIOs for the connection's TLS engine (see tls_bio.h).
#include "relay/net/tls_bio.h"

#include <algorithm>
#include <cstring>

namespace msrp::relay {

namespace {

int InputRead(BIO* bio, char* out, int len) {
  auto* input = static_cast<TlsInput*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  size_t want = static_cast<size_t>(len);
  size_t given = 0;
  if (input->held_offset < input->held.size()) {
    size_t n = std::min(want, input->held.size() - input->held_offset);
    std::memcpy(out, input->held.data() + input->held_offset, n);
    input->held_offset += n;
    given = n;
    if (input->held_offset == input->held.size()) {
      input->held.clear();
      input->held_offset = 0;
    }
  }
  if (given < want && !input->fresh.empty()) {
    size_t n = std::min(want - given, input->fresh.size());
    std::memcpy(out + given, input->fresh.data(), n);
    input->fresh.remove_prefix(n);
    given += n;
  }
  if (given == 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  return static_cast<int>(given);
}

int OutputWrite(BIO* bio, const char* data, int len) {
  auto* out = static_cast<std::string*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  out->append(data, static_cast<size_t>(len));
  return len;
}

long InputCtrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(static_cast<TlsInput*>(BIO_get_data(bio))->size());
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;
  }
}

long OutputCtrl(BIO*, int cmd, long, void*) {
  // Nothing is ever held inside the BIO: flushing succeeds, nothing is pending in it.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int Create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* MakeMethod(const char* name, bool input) {
  BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, name);
  if (method == nullptr) return nullptr;
  BIO_meth_set_create(method, Create);
  if (input) {
    BIO_meth_set_read(method, InputRead);
    BIO_meth_set_ctrl(method, InputCtrl);
  } else {
    BIO_meth_set_write(method, OutputWrite);
    BIO_meth_set_ctrl(method, OutputCtrl);
  }
  return method;
}

BIO* NewBio(BIO_METHOD* method, void* data) {
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio != nullptr) BIO_set_data(bio, data);
  return bio;
}

}  // namespace

void TlsInput::KeepUnread() {
  if (!fresh.empty()) {
    if (held_offset > 0) {
      held.erase(0, held_offset);
      held_offset = 0;
    }
    held.append(fresh);
  }
  fresh = {};
}

BIO* NewTlsInputBio(TlsInput* input) {
  // One method object per process, made on first use (the loop is single-threaded).
  static BIO_METHOD* method = MakeMethod("msrp-relay tls input", true);
  return NewBio(method, input);
}

BIO* NewTlsOutputBio(std::string* out) {
  static BIO_METHOD* method = MakeMethod("msrp-relay tls output", false);
  return NewBio(method, out);
}

}  // namespace msrp::relay
