#pragma once
// The tables of the account's read-only mirrors (employees, payouts, payruns, invoices, and any
// resource described later), made from their descriptions (resource.h), and the tables the
// incremental sync and the webhooks keep their state in.
#include <string>
#include <vector>

#include "gigasync/layer.h"
GIGASYNC_PRIVATE(store);

namespace gigasync::schema {

// Every statement uses IF NOT EXISTS: Store::open runs it after the migrations, so a resource
// added to the descriptions gets its tables without a migration of its own.
std::string account_schema();

// The view account_unknown_fields (resource, integration_id, object_id, field, value, json_type):
// fields the API sent that the documents do not describe, from every read-only mirror's base.
std::string unknown_fields_view();

// The names of the triggers that make those mirrors read-only.
std::vector<std::string> account_trigger_names();

}  // namespace gigasync::schema
