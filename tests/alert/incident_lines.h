// The incident's own access lines (the shared folder's seed-incident-lines.log), read where they
// are, never copied: two combined lines of the insurance API, a 200 at 11:04:56 and the first 502
// at 11:26:28, each carrying a ~900-character enc= token of a customer's data.
#pragma once

#include <fstream>
#include <string>
#include <vector>

namespace gw::testing {

inline constexpr const char* kSeedIncidentLines = GW_SHARED_DIR "/data/seed-incident-lines.log";

// The lines as the report has them (empty when the shared folder is absent).
inline std::vector<std::string> seedIncidentLines() {
  std::vector<std::string> lines;
  std::ifstream in(kSeedIncidentLines, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The report's copy turned '[' and ']' into 'Ä' and 'Ü' (and the first line lost its address):
// put them back so the combined format reads them as nginx wrote them.
inline std::string asNginxWroteIt(std::string line) {
  auto replace = [&](const std::string& from, const std::string& to) {
    for (std::size_t at = line.find(from); at != std::string::npos; at = line.find(from, at)) {
      line.replace(at, from.size(), to);
      at += to.size();
    }
  };
  replace("\xC3\x84", "[");
  replace("\xC3\x9C", "]");
  if (!line.empty() && line[0] == '[') line = "223.39.250.204 - - " + line;
  return line;
}

// Every enc= value in a line.
inline std::vector<std::string> encTokens(const std::string& line) {
  std::vector<std::string> tokens;
  for (std::size_t at = line.find("enc="); at != std::string::npos; at = line.find("enc=", at)) {
    at += 4;
    const std::size_t end = line.find_first_of("&\" ", at);
    tokens.push_back(line.substr(at, end - at));
  }
  return tokens;
}

}  // namespace gw::testing
