#include "outbox/history.h"

#include <algorithm>

#include "gigasync/json.h"

namespace gigasync {

Status record_local_delete(Store::Txn& txn, const std::string& id, const std::optional<Integration>& old_base) {
  return txn.add_history({id, "local", "delete", "", old_base ? std::optional(json::object_json(*old_base)) : std::nullopt,
                          std::nullopt});
}

Status record_local_write(Store::Txn& txn, const std::optional<Integration>& old_base, const Integration& answer,
                          const std::vector<std::string>& sent_fields) {
  if (!old_base) return txn.add_history({answer.id, "local", "insert", "", std::nullopt, json::object_json(answer)});
  for (const auto& f : sent_fields) {
    bool documented = std::find(integration_fields().begin(), integration_fields().end(), f) != integration_fields().end();
    if (!documented || f == "type" || old_base->get(f) == answer.get(f)) continue;
    if (auto s = txn.add_history({answer.id, "local", "update", f, old_base->get(f), answer.get(f)}); !s) return s;
  }
  return ok_status();
}

}  // namespace gigasync
