// `gigasync verify` for the account's read-only mirrors (verify_account.h): each resource of
// account.resources under each integration, listed in full and compared object by object.
#include "sync/verify_account.h"

#include <functional>
#include <set>
#include <unordered_set>

#include "gigasync/json.h"
#include "gigasync/mirror_reads.h"
#include "sync/page_stream.h"

namespace gigasync {
namespace {

std::string shown(const std::optional<std::string>& v) { return v ? json::quote(*v) : "null"; }

// The differences of one resource under one integration, appended to `out`.
Status verify_one(const Config& cfg, Store& store, Remote& api, const Resource& r, const std::string& iid,
                  std::vector<std::string>& out) {
  const std::string of = " of integration " + iid;
  auto object = [&](const std::string& id) { return std::string(r.singular) + " " + id + of; };
  std::unordered_set<std::string> listed;
  PageFunctionSink compare([&](const json::Page& page) -> Result<PageSink::Taken> {
    PageSink::Taken taken;
    for (const auto& remote : page.results) {
      if (!listed.insert(remote.id).second) taken.repeats.push_back(remote.id);
      auto local = store::mirrored_object(store, r, iid, remote.id);
      if (!local) return local.error();
      if (!local.value()) {
        out.push_back(object(remote.id) + ": in the API, not in the mirror");
        continue;
      }
      const Record& mine = **local;
      for (std::size_t i = 0; i < r.fields.size(); ++i) {
        if (i == r.id_index() || mine.at(i) == remote.at(i)) continue;
        out.push_back(object(remote.id) + " " + std::string(r.fields[i].name) + ": mirror " + shown(mine.at(i)) +
                      ", API " + shown(remote.at(i)));
      }
      if (mine.extra != remote.extra)
        out.push_back(object(remote.id) + " (fields the documents do not describe): mirror " +
                      mine.extra.value_or("{}") + ", API " + remote.extra.value_or("{}"));
    }
    return taken;
  });
  Listing listing{&r, iid, "", true, std::nullopt};
  auto stats = stream_pages(api, listing, cfg.api.concurrency, compare);
  if (!stats) {
    if (stats.error().code == ExitCode::partial && stats.error().message.starts_with("refused: ")) {
      out.push_back(std::string(r.name) + of + ": the API refused the listing (" +
                    stats.error().message.substr(std::string("refused: ").size()) + ")");
      return ok_status();
    }
    return stats.error();
  }
  auto ids = store::mirrored_ids(store, r, iid);
  if (!ids) return ids.error();
  for (const auto& id : ids.value())
    if (!listed.count(id)) out.push_back(object(id) + ": in the mirror, not in the API");
  if (!stats->clean()) {
    std::string why;
    for (const auto& u : stats->unclean) why += (why.empty() ? "" : "; ") + u;
    out.push_back(std::string(r.name) + of + ": the listing was not a clean pass (" + why + "); run verify again");
  }
  return ok_status();
}

}  // namespace

Result<std::vector<std::string>> verify_account(const Config& cfg, Store& store, Remote& api) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& name : cfg.account.resources) {
    const Resource* r = resource_named(name);
    if (r == nullptr || !r->per_integration || !seen.insert(name).second) continue;
    auto scopes = store::verify_scopes(store, *r);
    if (!scopes) return scopes.error();
    for (const auto& iid : scopes.value())
      if (auto s = verify_one(cfg, store, api, *r, iid, out); !s) return s.error();
  }
  return out;
}

}  // namespace gigasync
