#include "config/config_keys.h"

#include <span>
#include <string_view>

#include "config/key_table.h"

namespace gw {
namespace {

// Names of the kinds/types whose bits are set, for "burn_rate rules", "webhook sinks".
template <class Enum>
std::string appliesText(keys::AppliesTo applies, int count, std::string_view noun) {
  if (applies == keys::kEverywhere) return {};
  std::string out;
  for (int i = 0; i < count; ++i) {
    if ((applies & (1u << i)) == 0) continue;
    if (!out.empty()) out += ", ";
    out += toString(static_cast<Enum>(i));
  }
  return out + " " + std::string(noun);
}

template <class Target>
void addSection(std::vector<ConfigKeyInfo>& out, std::string_view prefix,
                std::span<const keys::KeyRow<Target>> rows,
                std::string (*applies)(keys::AppliesTo)) {
  for (const auto& row : rows) {
    ConfigKeyInfo info;
    info.path = std::string(prefix) + std::string(row.name);
    info.type = keys::typeText(row.type, row.choices);
    info.range = keys::rangeText(row.type, row.range);
    info.default_value = std::string(row.default_text);
    info.applies_to = applies ? applies(row.applies) : std::string();
    info.required = row.required;
    info.doc = std::string(row.doc);
    out.push_back(std::move(info));
  }
}

std::string ruleApplies(keys::AppliesTo a) { return appliesText<RuleKind>(a, 5, "rules"); }
std::string sinkApplies(keys::AppliesTo a) { return appliesText<SinkType>(a, 3, "sinks"); }

// Markdown table cells must not break the row.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

}  // namespace

std::vector<ConfigKeyInfo> configKeys() {
  std::vector<ConfigKeyInfo> out;
  addSection<Config>(out, "", keys::topKeys(), nullptr);
  addSection<HttpConfig>(out, "http.", keys::httpKeys(), nullptr);
  addSection<SourceConfig>(out, "sources[].", keys::sourceKeys(), nullptr);
  addSection<RuleConfig>(out, "rules[].", keys::ruleKeys(), ruleApplies);
  addSection<BurnWindow>(out, "rules[].windows[].", keys::burnWindowKeys(), nullptr);
  addSection<SinkConfig>(out, "sinks[].", keys::sinkKeys(), sinkApplies);
  addSection<ContextConfig>(out, "context.", keys::contextKeys(), nullptr);
  addSection<TailConfig>(out, "tail.", keys::tailKeys(), nullptr);
  return out;
}

std::string describeConfigKeys() {
  std::string out =
      "| key | type | default | applies to | description |\n"
      "|---|---|---|---|---|\n";
  for (const ConfigKeyInfo& key : configKeys()) {
    std::string type = key.type;
    if (!key.range.empty()) type += ", " + key.range;
    std::string default_value = key.required ? "required" : key.default_value;
    out += "| `" + cell(key.path) + "` | " + cell(type) + " | " + cell(default_value) + " | " +
           cell(key.applies_to) + " | " + cell(key.doc) + " |\n";
  }
  return out;
}

}  // namespace gw
