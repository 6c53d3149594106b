#include "sandbox/seed.h"

#include <array>
#include <cstdio>
#include <utility>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "sandbox/json_text.h"

namespace gigasync::sandbox {
namespace {

// Two-byte UTF-8 Latin-1 letters folded to ASCII (second byte after 0xC3).
char fold_latin1(unsigned char second) {
  switch (second | 0x20) {  // 0x8x (upper case) -> 0xAx (lower case)
    case 0xA0: case 0xA1: case 0xA4: case 0xA5: return 'a';
    case 0xA8: case 0xA9: return 'e';
    case 0xB3: case 0xB6: case 0xB8: return 'o';
    case 0xBC: return 'u';
    default: return 0;
  }
}

std::string slug(std::string_view name) {
  std::string out;
  for (char c : ascii_fold(name)) {
    if (c != ' ') out += c;
  }
  return out;
}

std::string cdn_logo(std::string_view slug_text) {
  return "https://gigapay.ams3.digitaloceanspaces.com/gigapay/" + std::string(slug_text) + "_logo.png";
}

void write_tags(rapidjson::Writer<rapidjson::StringBuffer>& w, Generator& g) {
  w.Key("tags");
  w.StartArray();
  std::size_t n = g.pick(3);
  for (std::size_t i = 0; i < n; ++i) w.String(ascii_fold(g.pick_from(seed_trade_words())).c_str());
  w.EndArray();
}

void write_erp(rapidjson::Writer<rapidjson::StringBuffer>& w, Generator& g) {
  w.Key("erp");
  w.StartObject();
  w.Key("vendor_no");
  w.Int(static_cast<int>(10000 + g.pick(90000)));
  w.Key("synced");
  w.Bool(g.chance(70));
  w.EndObject();
}

}  // namespace

std::string ascii_fold(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    } else if (c == 0xC3 && i + 1 < s.size()) {
      if (char f = fold_latin1(static_cast<unsigned char>(s[++i]))) out += f;
    }
  }
  return out;
}

std::string Generator::uuid4() {
  std::array<unsigned, 16> b{};
  for (auto& x : b) x = static_cast<unsigned>(rng_() & 0xFF);
  b[6] = (b[6] & 0x0F) | 0x40;
  b[8] = (b[8] & 0x3F) | 0x80;
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[(b[i] >> 4) & 15];
    out += kHex[b[i] & 15];
  }
  return out;
}

void Generator::fill_address(Record& r) {
  std::string street = std::string(pick_from(seed_streets())) + " " + std::to_string(1 + pick(120));
  if (chance(10)) street += static_cast<char>('A' + pick(4));
  const City& city = pick_from(seed_cities());
  set_text(r, kAddressLine1, street);
  if (chance(20)) set_text(r, kAddressLine2, std::string(pick_from(seed_address_line_2())));
  std::array<char, 3> tail{};
  std::snprintf(tail.data(), tail.size(), "%02u", static_cast<unsigned>(pick(100)));
  set_text(r, kZipCode, std::string(city.zip_prefix) + " " + tail.data());
  set_text(r, kCity, std::string(city.name));
}

std::string Generator::metadata() {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  switch (pick(4)) {
    case 0:
      w.Key("cost_center");
      w.String(std::to_string(4000 + pick(1000)).c_str());
      write_tags(w, *this);
      write_erp(w, *this);
      break;
    case 1:
      w.Key("kontakt");
      w.String((std::string(pick_from(seed_first_names())) + " " + pick_from(seed_last_names())).c_str());
      w.Key("projekt");
      w.StartArray();
      w.String(("P-" + std::to_string(1000 + pick(9000))).c_str());
      w.EndArray();
      break;
    case 2:
      write_erp(w, *this);
      w.Key("priority");
      w.Int(static_cast<int>(1 + pick(3)));
      w.Key("last_sync");
      w.Null();
      break;
    default:
      w.Key("source");
      w.String("hubspot");
      w.Key("score");
      w.Double(static_cast<double>(pick(100)) / 100.0);
      break;
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

Record Generator::company() {
  Record r = make_record(uuid4(), 1);
  set_text(r, kName, std::string("Zerebra AB"));
  set_text(r, kLogo, cdn_logo("zerebra"));
  set_text(r, kEmail, std::string("faktura@zerebra.com"));
  set_text(r, kRecipient, std::string("Zerebra AB"));
  set_text(r, kAddressLine1, std::string("Svartmangatan 18"));
  set_text(r, kZipCode, std::string("111 29"));
  set_text(r, kCity, std::string("Stockholm"));
  return r;
}

Record Generator::freelancer() {
  Record r = make_record(uuid4(), 2);
  std::string first = pick_from(seed_first_names());
  std::string last = pick_from(seed_last_names());
  set_text(r, kName, first + " " + last);
  set_text(r, kRecipient, first + " " + last);
  set_text(r, kEmail, ascii_fold(first) + "." + ascii_fold(last) + "@" + pick_from(seed_mail_providers()));
  if (chance(10)) set_text(r, kLogo, cdn_logo(slug(first + last)));
  if (chance(40)) r.json[kMetadata] = metadata();
  fill_address(r);
  return r;
}

Record Generator::custom() {
  static const std::array<const char*, 4> kSuffix = {" AB", " AB", " HB", ""};
  static const std::array<const char*, 4> kMailbox = {"faktura", "ekonomi", "invoice", "kontakt"};
  std::string id = chance(30) ? std::to_string(100000000 + pick(900000000)) : uuid4();
  Record r = make_record(id, 3);
  std::string base = std::string(pick_from(seed_company_words())) + " " + pick_from(seed_trade_words());
  std::string name = base + kSuffix[pick(kSuffix.size())];
  set_text(r, kName, name);
  set_text(r, kRecipient, chance(80) ? name : base + " Ekonomi");
  set_text(r, kEmail, std::string(kMailbox[pick(kMailbox.size())]) + "@" + slug(base) + ".se");
  if (chance(50)) set_text(r, kLogo, cdn_logo(slug(base)));
  if (chance(60)) r.json[kMetadata] = metadata();
  fill_address(r);
  return r;
}

Record new_custom(const Store& store, Generator& gen) {
  Record r = gen.custom();
  while (store.find(r.id)) r = gen.custom();
  return r;
}

void seed_store(Store& store, Generator& gen, int n) {
  if (n <= 0) return;
  std::vector<int> types(static_cast<std::size_t>(n - 1), 3);
  for (std::size_t i = 0; i < static_cast<std::size_t>(n / 5) && i < types.size(); ++i) types[i] = 2;
  for (std::size_t i = types.size(); i > 1; --i) std::swap(types[i - 1], types[gen.pick(i)]);
  store.reserve(store.size() + static_cast<std::size_t>(n));
  store.upsert(gen.company());
  for (int type : types) {
    Record r = type == 2 ? gen.freelancer() : gen.custom();
    while (store.find(r.id)) r = type == 2 ? gen.freelancer() : gen.custom();
    store.upsert(std::move(r));
  }
}

}  // namespace gigasync::sandbox
