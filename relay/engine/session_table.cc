// SessionTable: an unordered_map keyed by session-id with expiry on lookup and on sweep.
#include "relay/engine/session_table.h"

namespace msrp::relay {

Session* SessionTable::Find(std::string_view id, uint64_t now_ms) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  if (it->second.expires_ms <= now_ms) return nullptr;  // swept by TakeExpired
  return &it->second;
}

Session* SessionTable::Add(Session session) {
  std::string key = session.id;
  auto [it, inserted] = sessions_.emplace(std::move(key), std::move(session));
  return inserted ? &it->second : nullptr;
}

void SessionTable::Remove(std::string_view id) {
  auto it = sessions_.find(id);
  if (it != sessions_.end()) sessions_.erase(it);
}

std::vector<Session> SessionTable::TakeExpired(uint64_t now_ms) {
  std::vector<Session> out;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.expires_ms <= now_ms) {
      out.push_back(std::move(it->second));
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace msrp::relay
