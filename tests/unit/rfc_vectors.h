// Test helper: loads the RFC example messages of shared/rfc/rfc-examples.txt as wire bytes
// (LF -> CRLF, annotation lines dropped) for the framer, message-head and writer tests.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace msrp {
namespace rfc_vectors {

/// One example message: its "### ..." title and its exact wire bytes (CRLF line ends).
struct Vector {
  std::string title;
  std::string tid;
  std::string wire;
};

/// Everything read from the file: complete messages and the titles of blocks that hold no
/// message (the header fragments quoted from RFC 4976 §3 prose).
struct VectorFile {
  std::vector<Vector> messages;
  std::vector<std::string> fragments;
  bool opened = false;
};

inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

/// True for the end-line of transaction `tid` as shown in the file (without CRLF).
inline bool IsEndLineOf(std::string_view line, std::string_view tid) {
  if (line.size() != 7 + tid.size() + 1) return false;
  if (line.substr(0, 7) != "-------" || line.substr(7, tid.size()) != tid) return false;
  char flag = line.back();
  return flag == '$' || flag == '+' || flag == '#';
}

/// Parses the vector file format described in its header comment. A message runs from its
/// "MSRP " start line to its end-line; lines in between are taken verbatim (body included),
/// comment lines ("#...") outside messages are skipped.
inline VectorFile Parse(std::istream& in) {
  VectorFile file;
  file.opened = true;
  std::string line;
  std::string title;
  bool title_has_message = true;
  bool in_message = false;
  Vector current;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();  // tolerate a CRLF copy of the file
    if (in_message) {
      current.wire += line;
      current.wire += "\r\n";
      if (IsEndLineOf(line, current.tid)) {
        file.messages.push_back(std::move(current));
        current = Vector{};
        in_message = false;
      }
      continue;
    }
    if (StartsWith(line, "### ")) {
      if (!title_has_message) file.fragments.push_back(title);
      title = line.substr(4);
      title_has_message = false;
      continue;
    }
    if (StartsWith(line, "MSRP ")) {
      in_message = true;
      title_has_message = true;
      current.title = title;
      size_t sp = line.find(' ', 5);
      current.tid = line.substr(5, sp == std::string::npos ? std::string::npos : sp - 5);
      current.wire = line + "\r\n";
    }
    // Anything else outside a message: comments, NOTE lines, header fragments, blank lines.
  }
  if (!title_has_message && !title.empty()) file.fragments.push_back(title);
  return file;
}

inline std::string VectorPath() { return std::string(MSRP_TEST_DATA_DIR) + "/rfc-examples.txt"; }

/// Loads (once) and returns the vector file.
inline const VectorFile& Load() {
  static const VectorFile file = [] {
    std::ifstream in(VectorPath(), std::ios::binary);
    if (!in) return VectorFile{};
    return Parse(in);
  }();
  return file;
}

/// The message whose title starts with `title_prefix`; empty wire if none.
inline Vector Find(std::string_view title_prefix) {
  for (const auto& v : Load().messages) {
    if (StartsWith(v.title, title_prefix)) return v;
  }
  return Vector{};
}

}  // namespace rfc_vectors
}  // namespace msrp
