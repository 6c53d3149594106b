#include <catch2/catch.hpp>

#include "gigasync/text_width.h"

using gigasync::display_width;
using gigasync::fit;

TEST_CASE("display width counts characters, not bytes, and wide characters twice", "[text]") {
  CHECK(display_width("abc") == 3);
  CHECK(display_width("Åre Fjäll") == 9);      // 11 bytes
  CHECK(display_width("東京") == 4);            // wide
  CHECK(display_width("e\xcc\x81") == 1);       // e + combining acute
  CHECK(display_width("\xff") == 1);            // an invalid byte still takes a column
}

TEST_CASE("fit pads and cuts to terminal columns so non-ASCII rows stay aligned", "[text]") {
  CHECK(fit("Åre", 6) == "Åre   ");
  CHECK(display_width(fit("Åre Fjäll & Co AB", 10)) == 10);
  CHECK(fit("Åre Fjäll & Co AB", 10) == "Åre Fjä...");
  CHECK(display_width(fit("東京東京東京", 7)) == 7);  // never splits a wide character
  CHECK(fit("abc", 3) == "abc");
}
