#pragma once
// `gigasync verify` for the account's read-only mirrors: every configured resource of
// account.resources, under every integration, compared with a fresh full listing field by field.
#include <string>
#include <vector>

#include "gigasync/config.h"
#include "gigasync/remote.h"
#include "gigasync/store.h"
#include "gigasync/layer.h"
GIGASYNC_PRIVATE(sync);

namespace gigasync {

// One line per difference, each naming the resource, the integration and the object:
//   payout 17 of integration X amount: mirror "1.00", API "2.00"
//   payout 17 of integration X: in the API, not in the mirror
//   payout 17 of integration X: in the mirror, not in the API
//   payout 17 of integration X (fields the documents do not describe): mirror {...}, API {...}
//   payouts of integration X: the API refused the listing (HTTP 403 ...)
//   payouts of integration X: the listing was not a clean pass (...); run verify again
// Errors: auth, unavailable, data (the API's pages), database.
Result<std::vector<std::string>> verify_account(const Config& cfg, Store& store, Remote& api);

}  // namespace gigasync
