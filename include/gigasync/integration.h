#pragma once
// The integration: the two-way resource. An Integration is a Record of integrations_resource()
// (src/model/resources.cpp holds its description), and these are its field lists.
#include <string_view>
#include <vector>

#include "gigasync/record.h"
#include "gigasync/resource.h"
#include "gigasync/layer.h"
GIGASYNC_LAYER(model);

namespace gigasync {

using Integration = Record;

// Every field, in the API's order: the columns of `integrations`.
inline const std::vector<std::string_view>& integration_fields() { return field_names(integrations_resource()); }
// The fields a client may change (all but id and type).
inline const std::vector<std::string_view>& mutable_fields() { return writable_fields(integrations_resource()); }
// The fields a create or replace must carry (the seed's "Required: True").
inline const std::vector<std::string_view>& integration_required_fields() {
  return required_fields(integrations_resource());
}

}  // namespace gigasync
