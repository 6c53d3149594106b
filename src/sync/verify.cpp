// `gigasync verify`: the mirror against a fresh listing, field by field.
#include "gigasync/json.h"
#include "gigasync/sync.h"
#include "sync/fetch.h"
#include "sync/merge.h"

namespace gigasync {
namespace {

std::string shown(const std::optional<std::string>& v) { return v ? json::quote(*v) : "null"; }

}  // namespace

Result<std::vector<std::string>> verify(const Config& cfg, Store& store, ApiClient& api) {
  auto snap = fetch_all(api, cfg.api.concurrency);
  if (!snap) return snap.error();
  auto mirror = store.load_all(Table::mirror);
  if (!mirror) return mirror.error();
  auto waiting = store.list_changes(false);
  if (!waiting) return waiting.error();
  std::set<std::string> explained;
  for (const auto& c : waiting.value()) explained.insert(c.integration_id);
  auto note = [&](const std::string& id) { return explained.count(id) ? " (a local change is waiting)" : ""; };
  std::vector<std::string> out;
  for (const auto& remote : snap->objects) {
    auto m = mirror->find(remote.id);
    if (m == mirror->end()) {
      out.push_back("integration " + remote.id + ": in the API, not in the mirror" + note(remote.id));
      continue;
    }
    Integration local = json::canonical_row(m->second);
    for (const auto& f : diff_fields(local, remote))
      out.push_back("integration " + remote.id + " " + f + ": mirror " + shown(local.get(f)) + ", API " +
                    shown(remote.get(f)) + note(remote.id));
  }
  for (const auto& [id, row] : mirror.value())
    if (!snap->index.count(id)) out.push_back("integration " + id + ": in the mirror, not in the API" + note(id));
  if (!snap->clean()) {
    std::string why;
    for (const auto& u : snap->unclean) why += (why.empty() ? "" : "; ") + u;
    out.push_back("the listing was not a clean pass (" + why + "); run verify again");
  }
  return out;
}

}  // namespace gigasync
