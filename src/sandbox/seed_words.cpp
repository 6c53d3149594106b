#include "sandbox/seed.h"

namespace gigasync::sandbox {

const std::vector<City>& seed_cities() {
  static const std::vector<City> v = {
      {"Stockholm", "111"}, {"Göteborg", "411"}, {"Malmö", "211"}, {"Uppsala", "753"},
      {"Västerås", "722"}, {"Örebro", "702"}, {"Linköping", "582"}, {"Helsingborg", "252"},
      {"Jönköping", "553"}, {"Norrköping", "602"}, {"Lund", "222"}, {"Umeå", "903"},
      {"Gävle", "802"}, {"Borås", "503"}, {"Södertälje", "151"}, {"Segeltorp", "141"},
      {"Luleå", "972"}, {"Sundsvall", "852"}, {"Karlstad", "652"}, {"Växjö", "352"},
      {"Östersund", "831"}, {"Skellefteå", "931"}, {"Trollhättan", "461"}, {"Kiruna", "981"}};
  return v;
}

const std::vector<const char*>& seed_first_names() {
  static const std::vector<const char*> v = {
      "Åsa", "Björn", "Märta", "Anders", "Karin", "Lars", "Ingrid", "Göran", "Sofia", "Erik",
      "Maja", "Jörgen", "Linnéa", "Oskar", "Elin", "Håkan", "Sara", "Mikael", "Ebba", "Pär",
      "Johanna", "Nils", "Agnes", "Örjan", "Emma", "Fredrik", "Tove", "Stefan", "Malin", "Åke"};
  return v;
}

const std::vector<const char*>& seed_last_names() {
  static const std::vector<const char*> v = {
      "Lindström", "Öberg", "Åkesson", "Johansson", "Karlsson", "Nilsson", "Eriksson",
      "Larsson", "Söderberg", "Bergström", "Holmgren", "Sjöberg", "Lundqvist", "Ekström",
      "Wikström", "Hägglund", "Nyström", "Forsberg", "Strömberg", "Andersson", "Blomqvist",
      "Dahlén", "Sandström", "Ågren"};
  return v;
}

const std::vector<const char*>& seed_company_words() {
  static const std::vector<const char*> v = {
      "Nordljus", "Fjällbacka", "Älvdalen", "Skärgårds", "Granskog", "Björkhaga", "Solrosen",
      "Havsörn", "Ängsblom", "Stenhuggar", "Lövsta", "Kvarnström", "Ekdalen", "Vindö",
      "Tallbacken", "Råsunda", "Sjöfart", "Blåklint", "Järnbruks", "Östersjö", "Pinestreet",
      "Norrsken", "Gläntan", "Hjortron"};
  return v;
}

const std::vector<const char*>& seed_trade_words() {
  static const std::vector<const char*> v = {
      "Bygg", "Konsult", "Logistik", "Städ", "Event", "Transport", "Design", "Media", "Måleri",
      "Elteknik", "Restaurang", "Data", "Vård", "Flytt", "Trädgård", "Tech", "Catering"};
  return v;
}

const std::vector<const char*>& seed_streets() {
  static const std::vector<const char*> v = {
      "Malmvägen", "Storgatan", "Drottninggatan", "Kungsgatan", "Åsögatan", "Götgatan",
      "Sveavägen", "Svartmangatan", "Järnvägsgatan", "Skolgatan", "Östra Hamngatan",
      "Norra Ågatan", "Södra Förstadsgatan", "Björkvägen", "Ekbacken", "Västra Långgatan",
      "Hantverkargatan", "Fältspatsvägen", "Kyrkogatan", "Strandvägen"};
  return v;
}

const std::vector<const char*>& seed_address_line_2() {
  static const std::vector<const char*> v = {"c/o Ekonomiavdelningen", "Box 1234", "Lgh 1102",
                                             "Våning 3", "Ingång B", "Fakturaservice"};
  return v;
}

const std::vector<const char*>& seed_mail_providers() {
  static const std::vector<const char*> v = {"gmail.com", "outlook.com", "telia.com", "hotmail.se",
                                             "icloud.com", "bredband.net"};
  return v;
}

}  // namespace gigasync::sandbox
