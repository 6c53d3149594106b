#include "outbox/history.h"

#include <algorithm>

#include "gigasync/json.h"

namespace gigasync {

std::string object_json(const Integration& o) {
  return json::integration_body(o, {kIntegrationFields.begin(), kIntegrationFields.end()});
}

Status record_local_delete(Store::Txn& txn, const std::string& id, const std::optional<Integration>& old_base) {
  return txn.add_history({id, "local", "delete", "", old_base ? std::optional(object_json(*old_base)) : std::nullopt,
                          std::nullopt});
}

Status record_local_write(Store::Txn& txn, const std::optional<Integration>& old_base, const Integration& answer,
                          const std::vector<std::string>& sent_fields) {
  if (!old_base) return txn.add_history({answer.id, "local", "insert", "", std::nullopt, object_json(answer)});
  for (const auto& f : sent_fields) {
    bool documented = std::find(kIntegrationFields.begin(), kIntegrationFields.end(), f) != kIntegrationFields.end();
    if (!documented || f == "type" || old_base->get(f) == answer.get(f)) continue;
    if (auto s = txn.add_history({answer.id, "local", "update", f, old_base->get(f), answer.get(f)}); !s) return s;
  }
  return ok_status();
}

}  // namespace gigasync
