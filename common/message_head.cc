// MessageHead lookups and the RFC 4975 §9 header order and token checks.
#include "common/message_head.h"

#include "common/header_values.h"

namespace msrp {

namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsMimeHeader(std::string_view name) {
  // RFC 4975 §9 Other-Mime-header: Content-ID, Content-Description, Content-Disposition,
  // MIME-extension-field ("Content-" prefixed).
  return name.size() >= 8 && EqualsIgnoreCase(name.substr(0, 8), "Content-");
}

}  // namespace

const Header* MessageHead::Find(std::string_view name) const {
  for (const auto& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return &h;
  }
  return nullptr;
}

std::optional<std::string_view> MessageHead::Value(std::string_view name) const {
  const Header* h = Find(name);
  if (h == nullptr) return std::nullopt;
  return std::string_view(h->value);
}

bool MessageHead::Replace(std::string_view name, std::string value) {
  for (auto& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) {
      h.value = std::move(value);
      return true;
    }
  }
  return false;
}

std::optional<std::string> CheckHeaderOrder(const MessageHead& head) {
  if (!head.malformed.empty()) return head.malformed;
  if (head.headers.empty() || !EqualsIgnoreCase(head.headers[0].name, "To-Path")) {
    return "To-Path must be the first header";
  }
  if (head.headers.size() < 2 || !EqualsIgnoreCase(head.headers[1].name, "From-Path")) {
    return "From-Path must be the second header";
  }
  size_t content_type_at = head.headers.size();
  for (size_t i = 2; i < head.headers.size(); ++i) {
    const auto& name = head.headers[i].name;
    if (EqualsIgnoreCase(name, "To-Path") || EqualsIgnoreCase(name, "From-Path")) {
      return "duplicate " + name;
    }
    if (EqualsIgnoreCase(name, "Content-Type")) {
      if (content_type_at != head.headers.size()) return std::string("duplicate Content-Type");
      content_type_at = i;
    }
  }
  if (head.has_body) {
    if (content_type_at == head.headers.size()) return std::string("body without Content-Type");
    if (content_type_at != head.headers.size() - 1) return std::string("header after Content-Type");
  } else {
    if (content_type_at != head.headers.size()) return std::string("Content-Type without a body");
    for (size_t i = 2; i < head.headers.size(); ++i) {
      if (IsMimeHeader(head.headers[i].name)) return "MIME header " + head.headers[i].name + " without a body";
    }
  }
  return std::nullopt;
}

bool IsValidTransactionId(std::string_view tid) {
  if (tid.size() < 4 || tid.size() > 32) return false;
  if (!IsAlnum(tid[0])) return false;
  for (char c : tid.substr(1)) {
    if (!IsAlnum(c) && c != '.' && c != '-' && c != '+' && c != '%' && c != '=') return false;
  }
  return true;
}

bool IsValidMethod(std::string_view method) {
  if (method.empty()) return false;
  for (char c : method) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

}  // namespace msrp
