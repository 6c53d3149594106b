#pragma once
// The back door to the account's objects: /_sandbox/integrations/IID/RESOURCE/... (see
// include/gigasync/sandbox.h for the list). No faults, no request log, no validation beyond
// types: tests use it to make the histories the real service could show.
// Callers hold the state lock.
#include <string>
#include <string_view>

#include "sandbox/api.h"

namespace gigasync::sandbox {

// `rest` is the path after "/_sandbox/integrations/", with its trailing slash:
// "IID/RESOURCE/", "IID/RESOURCE/ID/" or "IID/RESOURCE/ID/MOVE/".
ApiResponse admin_account(State& s, const ApiRequest& r, std::string_view rest);

// Every object of `resource` under the integration as a JSON array; nullopt when the integration
// or the resource does not exist.
std::optional<std::string> admin_all_json(State& s, const std::string& integration_id, const std::string& resource);

}  // namespace gigasync::sandbox
