// `gigasync refresh ID…`: chosen integrations pulled now.
#include "gigasync/sync.h"
#include "sync/reconcile.h"

namespace gigasync {
namespace {

// Applies what GET answered for `id` (nullopt: 404) in one transaction; returns what happened.
Result<std::string> apply_one(const Config& cfg, Store& store, const std::string& id,
                              const std::optional<Integration>& remote) {
  Store::Txn txn(store);
  if (auto s = txn.begin(); !s) return s.error();
  auto base = txn.get(Table::base, id);
  if (!base) return base.error();
  if (!remote && !base.value()) return "integration " + id + ": not in the API (404) and not in the mirror";
  if (remote && base.value() && **base == *remote) return "integration " + id + ": unchanged";
  auto active = txn.active_change_ids();
  if (!active) return active.error();
  Reconciler rec(txn, cfg.sync.conflict_policy, std::move(active.value()));
  auto s = remote ? rec.apply_remote(base.value(), *remote) : rec.apply_remote_delete(**base);
  if (!s) return s.error();
  if (auto c = txn.commit(); !c) return c.error();
  std::string what = !remote ? "deleted in the API (404): removed" : base.value() ? "updated" : "inserted";
  if (rec.counts().conflicts > 0) what += ", with " + std::to_string(rec.counts().conflicts) + " conflict(s)";
  return "integration " + id + ": " + what;
}

}  // namespace

Result<std::vector<std::string>> refresh(const Config& cfg, Store& store, Remote& api,
                                         const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) {
    auto got = get_object(api, integrations_resource(), id);
    if (!got) return got.error();
    auto line = apply_one(cfg, store, id, got.value());
    if (!line) return line.error();
    out.push_back(std::move(line.value()));
  }
  return out;
}

}  // namespace gigasync
