// RelayContext: comparisons of URIs against this relay's identity (RFC 4975 §6.1).
#include "relay/engine/relay_context.h"

#include "common/header_values.h"

namespace msrp::relay {

bool RelayContext::IsOurHost(const Uri& uri) const {
  if (!EqualsIgnoreCase(uri.host, config->relay.hostname)) return false;
  return !uri.port.has_value() || ports.count(*uri.port) > 0;
}

bool RelayContext::IsOurHostAndPort(const Uri& uri) const {
  return uri.port.has_value() && EqualsIgnoreCase(uri.host, config->relay.hostname) &&
         ports.count(*uri.port) > 0;
}

}  // namespace msrp::relay
