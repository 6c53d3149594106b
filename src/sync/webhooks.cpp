// Signed webhooks: the signature check, the hint, and registering webhooks (webhooks.h).
#include "gigasync/webhooks.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>

#include "gigasync/hmac.h"
#include "gigasync/json.h"
#include "sync/pull.h"

namespace gigasync {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_hex(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// 32 hex characters from the kernel's random source.
Result<std::string> random_secret() {
  std::ifstream in("/dev/urandom", std::ios::binary);
  unsigned char bytes[16];
  if (!in.read(reinterpret_cast<char*>(bytes), sizeof bytes))
    return make_error(ExitCode::software, "cannot read /dev/urandom to make a webhook secret");
  std::string out;
  char buf[3];
  for (unsigned char b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

}  // namespace

std::string_view to_string(Signature s) {
  switch (s) {
    case Signature::valid: return "valid";
    case Signature::missing: return "missing";
    case Signature::malformed: return "malformed";
    case Signature::stale: return "outside the tolerance";
    case Signature::forged: return "not matching";
  }
  return "?";
}

Signature check_signature(std::string_view header, std::string_view body, std::string_view secret, long long now_s,
                          long long tolerance_s) {
  header = trim(header);
  if (header.empty()) return Signature::missing;
  std::optional<long long> t;
  std::vector<std::string> v1;
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view part = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) return Signature::malformed;
    std::string_view key = trim(part.substr(0, eq)), value = trim(part.substr(eq + 1));
    if (key == "t") {
      long long x = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), x);
      if (ec != std::errc() || end != value.data() + value.size() || t) return Signature::malformed;
      t = x;
    } else if (key == "v1") {
      if (!is_hex(value)) return Signature::malformed;
      v1.push_back(lower(value));
    }  // other schemes (v0, ...) are ignored, as the signing scheme allows
  }
  if (!t || v1.empty()) return Signature::malformed;
  const long long skew = now_s > *t ? now_s - *t : *t - now_s;
  if (skew > tolerance_s) return Signature::stale;
  std::string signed_text = std::to_string(*t) + "." + std::string(body);
  const std::string expected = util::hmac_sha256_hex(secret, signed_text);
  bool match = false;
  for (const auto& candidate : v1) match = util::constant_time_equal(candidate, expected) || match;
  return match ? Signature::valid : Signature::forged;
}

std::optional<Hint> read_hint(std::string_view body, const std::string& integration_id) {
  auto members = json::id_and_members(body);
  if (!members) return std::nullopt;
  Hint h;
  h.integration_id = integration_id;
  h.id = std::move(members->id);
  // The resource whose fields the body has most of, counting only the fields no other mirrored
  // resource has (payouts and payruns both have created_at, but only payruns have ocr_number).
  int best = 0;
  bool tie = false;
  for (const Resource* r : account_resources()) {
    int score = 0;
    for (const auto& name : members->names) {
      if (r->index_of(name) == Resource::npos) continue;
      bool shared = false;
      for (const Resource* other : account_resources())
        if (other != r && other->index_of(name) != Resource::npos) shared = true;
      if (!shared) ++score;
    }
    if (score > best) {
      best = score;
      h.resource = r;
      tie = false;
    } else if (score == best && score > 0) {
      tie = true;
    }
  }
  if (h.resource == nullptr || tie) return std::nullopt;
  return h;
}

Result<std::string> apply_hint(Store& store, Remote& api, const Hint& hint) {
  const Resource& r = *hint.resource;
  auto got = get_object(api, r, hint.id, hint.integration_id);
  if (!got) return got.error();
  std::string what = std::string(r.singular) + " " + hint.id + " of integration " + hint.integration_id;
  if (!got.value()) {
    auto known = store.load_record(r, hint.integration_id, hint.id);
    if (!known) return known.error();
    if (!known.value()) return what + ": not in the API (404), not in the mirror";
    auto applied = apply_objects(store, r, hint.integration_id, {}, {hint.id});
    if (!applied) return applied.error();
    return what + ": deleted in the API (404): removed";
  }
  auto applied = apply_objects(store, r, hint.integration_id, {**got}, {});
  if (!applied) return applied.error();
  if (applied->inserted > 0) return what + ": inserted";
  if (applied->updated > 0) return what + ": updated";
  return what + ": unchanged";
}

Result<std::vector<std::string>> register_webhooks(const Config& cfg, Store& store, Remote& api,
                                                   const std::vector<std::string>& ids) {
  const std::string base = webhooks_public_url(cfg);
  if (base.empty())
    return make_error(ExitCode::config, "webhooks.listen (or webhooks.public_url) is not set: the API would have no "
                                        "URL to call");
  std::vector<std::string> targets = ids;
  if (targets.empty()) {
    auto all = store.integration_ids();
    if (!all) return all.error();
    targets = std::move(all.value());
  }
  std::string events;
  for (auto e : kWebhookEvents) events += (events.empty() ? "" : ",") + json::quote(e);
  const Resource& r = webhooks_resource();
  std::vector<std::string> out;
  for (const auto& iid : targets) {
    auto known = store.webhook(iid);
    if (!known) return known.error();
    if (known.value()) {
      out.push_back("integration " + iid + ": webhook " + (*known)->webhook_id + " already registered (" + (*known)->url +
                    ")");
      continue;
    }
    auto secret = random_secret();
    if (!secret) return secret.error();
    const std::string url = base + "webhooks/" + url_encode_segment(iid) + "/";
    const std::string body = "{\"url\":" + json::quote(url) + ",\"events\":[" + events + "],\"secret_key\":" +
                             json::quote(*secret) + ",\"metadata\":{\"created_by\":\"gigasync\"}}";
    auto key = random_secret();
    if (!key) return key.error();
    std::optional<Record> answer;
    auto reply = api.call(ApiCall{"POST", api.collection_url(r), body, "gigasync-webhook-" + *key, iid},
                          [&](const std::string& text) -> Status {
                            auto p = json::parse_object(r, text, "the webhook created for integration " + iid, iid);
                            if (!p) return p.error();
                            answer = std::move(p.value());
                            return ok_status();
                          });
    if (!reply) return reply.error();
    if (reply->status < 200 || reply->status >= 300 || !answer) {
      out.push_back("integration " + iid + ": not registered: HTTP " + std::to_string(reply->status) + " (" +
                    json::describe_error_body(reply->body) + ")");
      continue;
    }
    // The secret the API keeps is the one it answers with (it may have made its own).
    std::string kept = answer->get("secret_key").value_or(*secret);
    if (auto s = store.save_webhook(Store::Webhook{iid, answer->id, url, kept, ""}); !s) return s.error();
    out.push_back("integration " + iid + ": webhook " + answer->id + " registered (" + url + ")");
  }
  return out;
}

Result<std::vector<std::string>> list_webhooks(Store& store) {
  auto all = store.webhooks();
  if (!all) return all.error();
  std::vector<std::string> out;
  for (const auto& w : all.value())
    out.push_back("integration " + w.integration_id + ": webhook " + w.webhook_id + " -> " + w.url + " (since " +
                  w.created_at + ")");
  return out;
}

Result<std::vector<std::string>> unregister_webhooks(Store& store, Remote& api, const std::vector<std::string>& ids) {
  auto all = store.webhooks();
  if (!all) return all.error();
  std::vector<std::string> out;
  for (const auto& w : all.value()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), w.integration_id) == ids.end()) continue;
    auto reply = api.call(ApiCall{"DELETE", api.item_url(webhooks_resource(), w.webhook_id), "", "", w.integration_id});
    if (!reply) return reply.error();
    if (reply->status >= 300 && reply->status != 404) {
      out.push_back("integration " + w.integration_id + ": webhook " + w.webhook_id + " not removed: HTTP " +
                    std::to_string(reply->status) + " (" + json::describe_error_body(reply->body) + ")");
      continue;
    }
    if (auto s = store.remove_webhook(w.integration_id); !s) return s.error();
    out.push_back("integration " + w.integration_id + ": webhook " + w.webhook_id + " removed" +
                  (reply->status == 404 ? " (the API no longer had it)" : ""));
  }
  return out;
}

}  // namespace gigasync
