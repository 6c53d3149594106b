#include <functional>
#include <map>

#include "sandbox/faults.h"

namespace gigasync::sandbox {
namespace {

using rapidjson::Value;
// Sets one field from a JSON value; false when the value has the wrong type.
using Setter = std::function<bool(const Value&, Faults&)>;

Setter int_field(int Faults::*field) {
  return [field](const Value& v, Faults& f) { return v.IsInt() && v.GetInt() >= 0 && ((f.*field = v.GetInt()), true); };
}

Setter rate_field(double Faults::*field) {
  return [field](const Value& v, Faults& f) {
    return v.IsNumber() && v.GetDouble() >= 0 && v.GetDouble() <= 1 && ((f.*field = v.GetDouble()), true);
  };
}

Setter string_list(std::vector<std::string> Faults::*field) {
  return [field](const Value& v, Faults& f) {
    if (!v.IsArray()) return false;
    std::vector<std::string> out;
    for (const auto& item : v.GetArray()) {
      if (!item.IsString()) return false;
      out.emplace_back(item.GetString(), item.GetStringLength());
    }
    f.*field = std::move(out);
    return true;
  };
}

std::string string_list_json(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + quote(items[i]);
  return out + "]";
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> m = {
      {"latency_ms", int_field(&Faults::latency_ms)},
      {"rate_limit_every", int_field(&Faults::rate_limit_every)},
      {"retry_after_s", int_field(&Faults::retry_after_s)},
      {"error_rate", rate_field(&Faults::error_rate)},
      {"lose_response_rate", rate_field(&Faults::lose_response_rate)},
      {"truncate_rate", rate_field(&Faults::truncate_rate)},
      {"drift_every", int_field(&Faults::drift_every)},
      {"foreign_next", [](const Value& v, Faults& f) { return v.IsString() && ((f.foreign_next = v.GetString()), true); }},
      {"forbid", [](const Value& v, Faults& f) { return v.IsBool() && ((f.forbid = v.GetBool()), true); }},
      {"fault_seed", [](const Value& v, Faults& f) { return v.IsUint() && ((f.fault_seed = v.GetUint()), true); }},
      {"refused_integrations", string_list(&Faults::refused_integrations)},
      {"webhook_drop_rate", rate_field(&Faults::webhook_drop_rate)},
      {"webhook_repeat_rate", rate_field(&Faults::webhook_repeat_rate)},
      {"webhook_reorder_rate", rate_field(&Faults::webhook_reorder_rate)},
      {"webhook_delay_ms", int_field(&Faults::webhook_delay_ms)},
      {"webhook_bad_signature_rate", rate_field(&Faults::webhook_bad_signature_rate)},
  };
  return m;
}

}  // namespace

std::string faults_json(const Faults& f) {
  return "{\"latency_ms\":" + std::to_string(f.latency_ms) +
         ",\"rate_limit_every\":" + std::to_string(f.rate_limit_every) +
         ",\"retry_after_s\":" + std::to_string(f.retry_after_s) +
         ",\"error_rate\":" + std::to_string(f.error_rate) +
         ",\"lose_response_rate\":" + std::to_string(f.lose_response_rate) +
         ",\"truncate_rate\":" + std::to_string(f.truncate_rate) +
         ",\"drift_every\":" + std::to_string(f.drift_every) + ",\"foreign_next\":" + quote(f.foreign_next) +
         ",\"forbid\":" + (f.forbid ? "true" : "false") + ",\"fault_seed\":" + std::to_string(f.fault_seed) +
         ",\"refused_integrations\":" + string_list_json(f.refused_integrations) +
         ",\"webhook_drop_rate\":" + std::to_string(f.webhook_drop_rate) +
         ",\"webhook_repeat_rate\":" + std::to_string(f.webhook_repeat_rate) +
         ",\"webhook_reorder_rate\":" + std::to_string(f.webhook_reorder_rate) +
         ",\"webhook_delay_ms\":" + std::to_string(f.webhook_delay_ms) +
         ",\"webhook_bad_signature_rate\":" + std::to_string(f.webhook_bad_signature_rate) + "}";
}

void update_faults(const Value& obj, Faults& f, FieldErrors& errors) {
  Faults next = f;
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it) {
    std::string key(it->name.GetString(), it->name.GetStringLength());
    auto setter = setters().find(key);
    if (setter == setters().end()) errors.add(key, "Unknown fault.");
    else if (!setter->second(it->value, next)) errors.add(key, "Invalid value.");
  }
  if (errors.empty()) f = next;
}

}  // namespace gigasync::sandbox
