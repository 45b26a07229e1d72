// The config keys, each declared once in a row carrying its name, type, default, the rule kinds
// or sink types it applies to, its doc text and how its value lands in the config structs. The
// loader and describeConfigKeys() read the same rows: adding a key is adding one row.
// Internal to the config stage; other stages read config/config_keys.h.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace gw::keys {

// How a value is written and checked. Each type has one converter in loader.cpp.
enum class ValueType : uint8_t {
  kName,         // [A-Za-z0-9._-], 1..64 characters
  kNameList,     // a list of kName (references to sources or sinks)
  kString,       // any string, "" allowed
  kPath,         // a non-empty string
  kStringList,   // a list of strings
  kPatternList,  // a list of RE2 regular expressions, compiled
  kDuration,     // 500ms, 30s, 5m, 2h, 1d, 1h30m
  kCount,        // a whole number >= 0
  kNumber,       // a decimal number
  kChoice,       // one of `choices`
  kChoiceList,   // a list of `choices`
  kStatusList,   // a list of HTTP statuses, 100..599
  kBurnWindows,  // a list of {long, short, factor} (burnWindowKeys())
  kEnvName,      // an environment variable's name (its value is read at run time, not here)
  kUrl,          // http:// or https://
  kListen,       // host:port, [v6]:port, or "" for off
  kTimeZone,     // an IANA zone name, checked against the system's zoneinfo
  kLogFormats,   // a log_format (predefined name or nginx text), or a list of them, compiled
  kMapping,      // a section (http, context, tail)
  kMappingList,  // a list of sections (sources, rules, sinks)
};

// Bounds of numbers, counts and durations (durations in milliseconds). For list types, `min`
// is the fewest items allowed.
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;  // (min, ...: the bound itself is not allowed
  bool max_open = false;
};

// A converted value; the row's type says which member is filled.
struct Value {
  std::string text;
  std::vector<std::string> texts;
  Millis duration{};
  uint64_t count = 0;
  double number = 0;
  std::size_t choice = 0;
  std::vector<std::size_t> choice_list;
  std::vector<uint16_t> statuses;
  std::vector<BurnWindow> windows;
};

// Which rule kinds or sink types a key applies to: bit i is RuleKind(i) or SinkType(i).
using AppliesTo = uint8_t;
inline constexpr AppliesTo kEverywhere = 0xFF;
constexpr AppliesTo bit(RuleKind kind) {
  return static_cast<AppliesTo>(1u << static_cast<int>(kind));
}
constexpr AppliesTo bit(SinkType type) {
  return static_cast<AppliesTo>(1u << static_cast<int>(type));
}

template <class Target>
struct KeyRow {
  std::string_view name = {};
  ValueType type = ValueType::kString;
  std::string_view default_text = {};  // as shown in docs; "" for "none"
  std::string_view doc = {};
  AppliesTo applies = kEverywhere;
  bool required = false;
  std::string_view choices = {};  // kChoice / kChoiceList: "end|beginning", in enum order
  Range range = {};
  void (*apply)(Target&, const Value&) = nullptr;  // nullptr: sections the loader walks itself
};

// The sections, in the order docs list them. Row spans are static and live forever.
std::span<const KeyRow<Config>> topKeys();  // state_dir, http, sources, rules, sinks, ...
std::span<const KeyRow<HttpConfig>> httpKeys();
std::span<const KeyRow<SourceConfig>> sourceKeys();
std::span<const KeyRow<RuleConfig>> ruleKeys();
std::span<const KeyRow<BurnWindow>> burnWindowKeys();
std::span<const KeyRow<SinkConfig>> sinkKeys();
std::span<const KeyRow<ContextConfig>> contextKeys();
std::span<const KeyRow<TailConfig>> tailKeys();

// "a duration", "a list of names", "one of end, beginning": what a value of this type looks like.
std::string typeText(ValueType type, std::string_view choices);
// "in (0, 1]", "at least 1", "at most 7d", "" when unbounded. Durations print as 500ms, 30s, 7d.
std::string rangeText(ValueType type, const Range& range);
bool inRange(const Range& range, double value);
bool isList(ValueType type);
// 500ms, 30s, 5m, 1h30m, 7d: the shortest exact spelling in config syntax.
std::string durationText(Millis d);
// 0.05, 14.4, 1e-06: numbers as a person would write them.
std::string numberText(double value);

// The choices of a kChoice row, split: "end|beginning" -> {"end", "beginning"}.
std::vector<std::string_view> splitChoices(std::string_view choices);

// Per-kind defaults the rows cannot express as one value (documented in the rows' default_text).
std::vector<uint16_t> defaultStatuses(RuleKind kind);
std::vector<GroupKey> defaultGroupBy(RuleKind kind);
std::vector<BurnWindow> defaultBurnWindows();
std::vector<std::string> defaultErrorLogMatch();
inline constexpr uint64_t kDefaultConsecutiveCount = 3;
inline constexpr uint64_t kDefaultErrorLogCount = 3;
inline constexpr double kDefaultRatio = 0.05;

}  // namespace gw::keys
