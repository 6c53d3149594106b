// `gigasync verify`: the mirror against a fresh listing, field by field, page by page.
#include <functional>
#include <unordered_set>

#include "gigasync/json.h"
#include "gigasync/sync.h"
#include "sync/merge.h"
#include "sync/page_stream.h"
#include "sync/verify_account.h"

namespace gigasync {
namespace {

std::string shown(const std::optional<std::string>& v) { return v ? json::quote(*v) : "null"; }

}  // namespace

Result<std::vector<std::string>> verify(const Config& cfg, Store& store, Remote& api) {
  auto waiting = store.list_changes(false);
  if (!waiting) return waiting.error();
  std::unordered_set<std::string> explained, listed;  // ids only: verify is a diagnostic, not the pull
  for (const auto& c : waiting.value()) {
    explained.insert(c.integration_id);
    // A local rename waiting to be pushed: the mirror holds the row under its new id already.
    if (auto members = json::id_and_members(c.payload)) explained.insert(members->id);
  }
  auto note = [&](const std::string& id) { return explained.count(id) ? " (a local change is waiting)" : ""; };
  std::vector<std::string> out;
  // Every page is parsed and compared (no page is taken as unchanged by its bytes).
  PageFunctionSink compare([&](const json::Page& page) -> Result<PageSink::Taken> {
    PageSink::Taken taken;
    for (const auto& remote : page.results) {
      if (!listed.insert(remote.id).second) taken.repeats.push_back(remote.id);
      auto local = store.load_one(Table::mirror, remote.id);
      if (!local) return local.error();
      if (!local.value()) {
        out.push_back("integration " + remote.id + ": in the API, not in the mirror" + note(remote.id));
        continue;
      }
      Integration mine = json::canonical_row(**local);
      for (const auto& f : diff_fields(mine, remote))
        out.push_back("integration " + remote.id + " " + f + ": mirror " + shown(mine.get(f)) + ", API " +
                      shown(remote.get(f)) + note(remote.id));
    }
    return taken;
  });
  auto stats = stream_pages(api, Listing{}, cfg.api.concurrency, compare);
  if (!stats) return stats.error();
  auto mirror_ids = store.mirror_ids();
  if (!mirror_ids) return mirror_ids.error();
  for (const auto& id : mirror_ids.value())
    if (!listed.count(id)) out.push_back("integration " + id + ": in the mirror, not in the API" + note(id));
  if (!stats->clean()) {
    std::string why;
    for (const auto& u : stats->unclean) why += (why.empty() ? "" : "; ") + u;
    out.push_back("the listing was not a clean pass (" + why + "); run verify again");
  }
  auto account = verify_account(cfg, store, api);  // the read-only mirrors of account.resources
  if (!account) return account.error();
  for (auto& line : account.value()) out.push_back(std::move(line));
  return out;
}

}  // namespace gigasync
