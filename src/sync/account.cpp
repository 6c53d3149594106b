// The account's read-only mirrors, full or incremental per resource and integration (account.h).
#include "sync/account.h"

#include <spdlog/spdlog.h>

#include <set>

#include "sync/pull.h"

namespace gigasync {

std::optional<UnixMicros> window_start(const std::map<std::string, UnixMicros>& newest, const std::string& field) {
  if (auto it = newest.find(field); it != newest.end()) return it->second - kWindowOverlap;
  std::optional<UnixMicros> any;
  for (const auto& [name, t] : newest)
    if (!any || t > *any) any = t;
  if (!any) return std::nullopt;
  return *any - kWindowOverlap;
}

bool full_list_due(const std::optional<UnixMicros>& full_at, UnixMicros now, long long every_s) {
  if (!full_at) return true;
  if (*full_at > now) return true;  // listed "in the future": this clock stepped back since
  return now - *full_at >= every_s * 1'000'000LL;
}

namespace {

class AccountSync {
 public:
  AccountSync(const Config& cfg, Store& store, Remote& api, const SyncOptions& options)
      : cfg_(cfg), store_(store), api_(api), options_(options) {}

  Result<AccountOutcome> run() {
    std::vector<const Resource*> resources;
    for (const auto& name : cfg_.account.resources)
      if (const Resource* r = resource_named(name); r != nullptr && r->per_integration) resources.push_back(r);
    if (!options_.dry_run) {  // the objects of integrations deleted in the API went with them
      auto purged = store_.purge_orphans();
      if (!purged) return purged.error();
      out_.deleted += purged.value();
    }
    for (const Resource* r : resources) out_.by_resource[std::string(r->name)];  // listed even when nothing moved
    if (resources.empty()) return std::move(out_);
    auto integrations = store_.integration_ids();
    if (!integrations) return integrations.error();
    for (const auto& iid : integrations.value()) {
      for (const Resource* r : resources) {
        auto state = store_.account_state(*r, iid);
        if (!state) return state.error();
        auto done = sync_one(*r, iid, state.value());
        if (!done && done.error().code != ExitCode::partial) return done.error();
        if (options_.dry_run) continue;
        const std::string why = done ? "" : done.error().message;
        if (!done) {
          spdlog::warn("{}", why);
          out_.refused.push_back(why);
        }
        if (why != state->refused)
          if (auto s = store_.record_refusal(*r, iid, why); !s) return s.error();
      }
    }
    return std::move(out_);
  }

 private:
  Status sync_one(const Resource& r, const std::string& iid, const Store::AccountState& state) {
    const UnixMicros now = now_micros();
    const bool full = options_.full || full_list_due(state.full_at, now, cfg_.account.full_every_s) ||
                      !window_start(state.newest, "created_at");
    if (full) return full_list(r, iid, now);
    return incremental(r, iid, state);
  }

  Result<PullOutcome> read(const Listing& listing, bool keep_ids) {
    PullSettings settings;
    settings.keep_listed_ids = keep_ids;
    auto p = pull_listing(cfg_, store_, api_, listing, options_, settings);
    if (!p) return p.error();
    out_.listings++;
    auto& mine = out_.by_resource[std::string(listing.resource->name)];
    mine.fetched += p->fetched;
    mine.written += p->inserted + p->updated + p->deleted;
    out_.pages += p->pages;
    out_.fetched += p->fetched;
    out_.inserted += p->inserted;
    out_.updated += p->updated;
    out_.deleted += p->deleted;
    out_.deletions_held += p->deletions_held;
    for (auto& line : p->plan) out_.plan.push_back(std::move(line));
    for (const auto& [field, t] : p->newest) {
      auto [it, fresh] = newest_.emplace(field, t);
      if (!fresh && t > it->second) it->second = t;
    }
    return p;
  }

  Status full_list(const Resource& r, const std::string& iid, UnixMicros started) {
    newest_.clear();
    auto p = read(Listing{&r, iid, "", true, std::nullopt}, false);
    if (!p) return p.error();
    out_.full_listings++;
    if (options_.dry_run) return ok_status();
    if (auto s = store_.record_newest(r, iid, newest_); !s) return s;
    return store_.record_full_list(r, iid, started);
  }

  Status incremental(const Resource& r, const std::string& iid, const Store::AccountState& state) {
    newest_.clear();
    std::set<std::string> listed;
    auto keep = [&](const PullOutcome& p) { listed.insert(p.listed_ids.begin(), p.listed_ids.end()); };
    for (const Field& f : r.fields) {
      if (!f.event) continue;
      auto since = window_start(state.newest, std::string(f.name));
      if (!since) continue;
      auto p = read(Listing{&r, iid, std::string(f.name) + "_after=" + format_iso8601_micros(*since), false,
                            std::nullopt},
                    true);
      if (!p) return p.error();
      keep(p.value());
    }
    if (!r.newest_first_query.empty()) {
      auto p = read(Listing{&r, iid, std::string(r.newest_first_query), false, window_start(state.newest, "created_at")},
                    true);
      if (!p) return p.error();
      keep(p.value());
    }
    for (auto q : r.unsettled_queries) {
      auto p = read(Listing{&r, iid, std::string(q), false, std::nullopt}, true);
      if (!p) return p.error();
      keep(p.value());
    }
    if (options_.dry_run) return ok_status();
    // What the mirror still holds as unsettled but no listing returned: settled without a time the
    // windows see, or deleted. Each is read on its own.
    auto unsettled = store_.unsettled_ids(r, iid);
    if (!unsettled) return unsettled.error();
    std::vector<Record> found;
    std::vector<std::string> gone;
    for (const auto& id : unsettled.value()) {
      if (listed.count(id)) continue;
      auto got = get_object(api_, r, id, iid);
      out_.gets++;
      out_.by_resource[std::string(r.name)].fetched++;
      if (!got) return got.error();
      if (got.value()) found.push_back(std::move(**got));
      else gone.push_back(id);
    }
    if (!found.empty() || !gone.empty()) {
      auto applied = apply_objects(store_, r, iid, found, gone);
      if (!applied) return applied.error();
      out_.inserted += applied->inserted;
      out_.updated += applied->updated;
      out_.deleted += applied->deleted;
      out_.by_resource[std::string(r.name)].written += applied->inserted + applied->updated + applied->deleted;
    }
    return store_.record_newest(r, iid, newest_);
  }

  const Config& cfg_;
  Store& store_;
  Remote& api_;
  const SyncOptions& options_;
  std::map<std::string, UnixMicros> newest_;
  AccountOutcome out_;
};

}  // namespace

Result<AccountOutcome> sync_account(const Config& cfg, Store& store, Remote& api, const SyncOptions& options) {
  return AccountSync(cfg, store, api, options).run();
}

}  // namespace gigasync
