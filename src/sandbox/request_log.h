#pragma once
// The request log: every /v2/ request in memory, and optionally one JSON line per request
// in a file. Thread-safe. Never sees the Authorization header.
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "gigasync/error.h"
#include "gigasync/sandbox.h"

namespace gigasync::sandbox {

// {"seq":1,"method":"GET","path":"/v2/integrations/","query":"","idempotency_key":null,
//  "status":200,"replayed":false,"applied":false,"fault":null}
std::string to_json(const RequestRecord& r);

class RequestLog {
 public:
  RequestLog() = default;
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  // Appends lines to `path` from now on. ExitCode::cant_create when it cannot be opened.
  Status open(const std::string& path);
  long long next_seq() { return ++seq_; }
  void add(const RequestRecord& r);
  std::vector<RequestRecord> all() const;
  std::string all_json() const;

 private:
  mutable std::mutex mu_;
  std::vector<RequestRecord> records_;
  std::FILE* file_ = nullptr;
  std::atomic<long long> seq_{0};
};

}  // namespace gigasync::sandbox
