// parse_limited: RapidJSON's iterative reader feeding a Document through a depth-counting handler.
#include "json/parse.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/reader.h>

#include "gigasync/json.h"

namespace gigasync::json::detail {
namespace {

using rapidjson::SizeType;

// Forwards every SAX event to the Document, refusing (stopping the reader) past kMaxDepth.
class DepthLimited {
 public:
  explicit DepthLimited(rapidjson::Document& doc) : doc_(doc) {}
  bool too_deep() const { return too_deep_; }
  bool too_big() const { return too_big_; }

  bool Null() { return doc_.Null(); }
  bool Bool(bool b) { return doc_.Bool(b); }
  bool Int(int i) { return doc_.Int(i); }
  bool Uint(unsigned u) { return doc_.Uint(u); }
  bool Int64(int64_t i) { return doc_.Int64(i); }
  bool Uint64(uint64_t u) { return doc_.Uint64(u); }
  bool Double(double d) { return doc_.Double(d); }
  // Numbers arrive as text (kParseNumbersAsStringsFlag) and are converted here, see number().
  bool RawNumber(const char* s, SizeType n, bool) { return number(std::string(s, n)); }
  bool String(const char* s, SizeType n, bool copy) { return doc_.String(s, n, copy); }
  bool Key(const char* s, SizeType n, bool copy) { return doc_.Key(s, n, copy); }
  bool StartObject() { return enter() && doc_.StartObject(); }
  bool EndObject(SizeType members) { --depth_; return doc_.EndObject(members); }
  bool StartArray() { return enter() && doc_.StartArray(); }
  bool EndArray(SizeType elements) { --depth_; return doc_.EndArray(elements); }

 private:
  // An integer that fits 64 bits stays an integer; anything else becomes the correctly rounded
  // double (strtod). RapidJSON's own conversion is not correctly rounded by default (so a
  // canonical text changed when read again: found by fuzzing) and its full-precision mode has
  // undefined behaviour on "0e300" (clz of 0). A number too big for a double is refused.
  bool number(const std::string& text) {
    const bool integral = text.find_first_of(".eE") == std::string::npos;
    if (integral && text[0] == '-') {
      int64_t i = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
      if (ec == std::errc() && end == text.data() + text.size()) return doc_.Int64(i);
    } else if (integral) {
      uint64_t u = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), u);
      if (ec == std::errc() && end == text.data() + text.size()) return doc_.Uint64(u);
    }
    const double d = std::strtod(text.c_str(), nullptr);
    if (!std::isfinite(d)) {
      too_big_ = true;
      return false;
    }
    return doc_.Double(d);
  }

  bool enter() {
    if (++depth_ <= kMaxDepth) return true;
    too_deep_ = true;
    return false;
  }

  rapidjson::Document& doc_;
  int depth_ = 0;
  bool too_deep_ = false;
  bool too_big_ = false;
};

}  // namespace

ParseOutcome parse_limited(std::string_view text, rapidjson::Document& doc) {
  ParseOutcome out;
  auto generate = [&](rapidjson::Document& target) {
    DepthLimited handler(target);
    rapidjson::MemoryStream ms(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
    rapidjson::Reader reader;
    constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
    rapidjson::ParseResult r = reader.Parse<kFlags>(in, handler);
    if (r) return true;
    out.ok = false;
    out.error = handler.too_deep()  ? "nesting deeper than " + std::to_string(kMaxDepth) + " levels"
                : handler.too_big() ? std::string("a number too big for a double")
                                    : std::string(rapidjson::GetParseError_En(r.Code()));
    out.error += " at byte " + std::to_string(r.Offset());
    return false;
  };
  doc.SetNull();
  doc.Populate(generate);
  return out;
}

}  // namespace gigasync::json::detail
