// OpenSSL BIOs that connect a connection's TLS engine to its socket buffers without the extra
// pass a memory BIO costs. A memory BIO zero-fills every byte it stores and then copies it out
// again; these hand OpenSSL the socket's read buffer directly and let it append its records to
// the string the connection writes to the socket.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <openssl/bio.h>

namespace msrp::relay {

/// Ciphertext waiting for SSL_read: what an earlier socket read left unread (reading was
/// paused) first, then the socket read being handled now. Owned by the connection.
struct TlsInput {
  std::string held;        ///< bytes copied from earlier reads, consumed from `held_offset`
  size_t held_offset = 0;
  std::string_view fresh;  ///< the current libuv read buffer; valid only during the read callback

  /// Bytes not yet consumed by OpenSSL.
  size_t size() const { return held.size() - held_offset + fresh.size(); }

  /// Ends a read callback: keeps what OpenSSL has not consumed of `fresh` (at most one read
  /// buffer, since reading stops while paused), then forgets `fresh`.
  void KeepUnread();
};

/// A read-only BIO over `input` (not owned): each read takes bytes from `held`, then `fresh`;
/// with none left it reports "retry read", as an empty non-blocking socket would.
/// Returns nullptr on allocation failure. Give it to SSL_set_bio, which owns it.
BIO* NewTlsInputBio(TlsInput* input);

/// A write-only BIO appending everything written to `out` (not owned), the connection's
/// ciphertext waiting for the socket. Writes never fail short (the queue's watermarks bound it).
/// Returns nullptr on allocation failure. Give it to SSL_set_bio, which owns it.
BIO* NewTlsOutputBio(std::string* out);

}  // namespace msrp::relay
