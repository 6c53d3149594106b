#pragma once
// Signed webhooks: a notification from the API is a hint that one object of one integration
// changed. Its signature is checked over the raw bytes first (HMAC-SHA256 of "<t>.<body>" with the
// webhook's secret, in constant time, within a tolerance), then the object is read again with GET
// under its integration and applied: a lost, repeated or reordered notification can not leave a
// stale row (the incremental cycle is the safety net).
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gigasync/config.h"
#include "gigasync/error.h"
#include "gigasync/remote.h"
#include "gigasync/resource.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(sync);

namespace gigasync {

// The integration-scoped events (api-notes.md); a webhook registered by gigasync asks for all.
inline constexpr std::array<std::string_view, 9> kWebhookEvents = {
    "Employee.created", "Employee.notified", "Employee.claimed", "Employee.verified", "Payout.created",
    "Payout.notified",  "Payout.accepted",   "Payrun.created",  "Payrun.paid"};

// How a notification's `Gigapay-Signature: t=<unix seconds>,v1=<hex>` header fares.
enum class Signature { valid, missing, malformed, stale, forged };
std::string_view to_string(Signature s);

// `header` as sent, `body` the raw bytes, `secret` the webhook's secret_key, `now_s` this clock.
// stale: t is more than `tolerance_s` from now (either way); forged: no v1 matches. Compared in
// constant time.
Signature check_signature(std::string_view header, std::string_view body, std::string_view secret, long long now_s,
                          long long tolerance_s);

// The object a notification is about: its resource told from its fields (a notification names
// no event type), and its id. nullopt when the body is not such an object.
struct Hint {
  std::string integration_id;
  const Resource* resource = nullptr;
  std::string id;
};
std::optional<Hint> read_hint(std::string_view body, const std::string& integration_id);

// Reads the object again (GET under its integration) and applies it: written where it differs,
// removed on 404. Returns one line saying what happened.
Result<std::string> apply_hint(Store& store, Remote& api, const Hint& hint);

// `gigasync webhooks register|list|unregister`. `ids` empty = every mirrored integration.
// register: one webhook per integration (all nine events) at webhooks_public_url + "webhooks/<id>/",
// its secret made here (32 random hex characters) and kept in the database (never printed);
// an integration that has one already is left as it is. unregister: DELETE on the API, then the
// row. Each returns one line per integration.
Result<std::vector<std::string>> register_webhooks(const Config& cfg, Store& store, Remote& api,
                                                   const std::vector<std::string>& ids);
Result<std::vector<std::string>> list_webhooks(Store& store);
Result<std::vector<std::string>> unregister_webhooks(Store& store, Remote& api, const std::vector<std::string>& ids);

}  // namespace gigasync
