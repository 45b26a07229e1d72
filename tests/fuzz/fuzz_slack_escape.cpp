// Fuzzes slackEscape and slackMessage: whatever bytes a log holds, the escaped text is valid UTF-8
// with no '<', '>' or run of three backticks, and the message built from lines of those bytes is
// valid JSON inside Slack's limits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "alert/render.h"
#include "common/utf8.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

std::size_t codePoints(std::string_view text) {
  std::size_t n = 0;
  for (const unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

// Every "text" in the message: valid UTF-8, no angle bracket, balanced fences; returns the sum.
std::size_t checkTexts(const nlohmann::json& node) {
  std::size_t total = 0;
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "text" && it.value().is_string()) {
        const std::string& text = it.value().get_ref<const std::string&>();
        check(gw::validUtf8(text) == text);
        check(text.find_first_of("<>") == std::string::npos);
        std::size_t fences = 0;
        for (std::size_t at = text.find("```"); at != std::string::npos;
             at = text.find("```", at + 3)) {
          ++fences;
        }
        check(fences % 2 == 0);
        total += codePoints(text);
      }
      total += checkTexts(it.value());
    }
  } else if (node.is_array()) {
    for (const nlohmann::json& child : node) total += checkTexts(child);
  }
  return total;
}

gw::Alert baseAlert() {
  gw::Alert a;
  a.event.incident_id = "0123456789abcdef";
  a.event.rule = "upstream-down";
  a.event.source = "driver-insu-prod";
  a.event.utc_offset_minutes = 540;
  a.event.window = std::chrono::seconds(60);
  a.event.stats = {3, 3, {{502, 3}}};
  a.hostname = "fuzz-host";
  a.zone_label = "KST";
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const std::string escaped = gw::slackEscape(input);
  check(gw::validUtf8(escaped) == escaped);
  check(escaped.find_first_of("<>") == std::string::npos);
  check(escaped.find("```") == std::string::npos);

  // The input's lines everywhere a log puts text into a message.
  gw::Alert a = baseAlert();
  std::size_t start = 0;
  while (start <= input.size()) {
    const std::size_t end = std::min(input.find('\n', start), input.size());
    a.context.access.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }
  a.context.error = a.context.access;
  const std::string first = a.context.access.front();
  a.event.top_paths = {{first, 1}};
  a.event.upstreams = {{first, 2}};
  a.event.group = {{"source", "driver-insu-prod"}, {"path", first}};
  a.event.detail = first;
  a.summary = std::string(input);
  a.headline = first;
  a.test = size % 2 == 1;

  const std::string body = gw::slackMessage(a);
  check(gw::validUtf8(body) == body);
  const nlohmann::json message = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  check(!message.is_discarded());
  check(message["blocks"].size() <= gw::kSlackMaxBlocks);
  check(checkTexts(message) <= gw::kSlackMessageBudget);
  for (const nlohmann::json& block : message["blocks"]) {
    if (block.contains("text")) {
      check(block["text"]["text"].get_ref<const std::string&>().size() <= gw::kSlackSectionTextMax);
    }
    if (block.contains("fields")) {
      check(block["fields"].size() <= gw::kSlackMaxFields);
      for (const nlohmann::json& field : block["fields"]) {
        check(field["text"].get_ref<const std::string&>().size() <= gw::kSlackFieldTextMax);
      }
    }
  }
  return 0;
}
