#include "config/loader.h"

#include <crypt.h>
#include <fcntl.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <unordered_map>

#include "common/time_zone.h"
#include "config/did_you_mean.h"
#include "config/key_table.h"
#include "config/source_map.h"
#include "parse/log_format.h"

namespace gw {
namespace {

using keys::KeyRow;
using keys::Value;
using keys::ValueType;

// Names end up in metrics labels, alert ids and on the command line (--sink NAME).
constexpr std::size_t kMaxNameLength = 64;
// Long enough for "1d23h59m59s999ms"; keeps parseDuration's running sum far from overflow.
constexpr std::size_t kMaxDurationText = 32;
// Values quoted in messages are cut here: a message must fit a terminal line.
constexpr std::size_t kMaxQuotedBytes = 60;
// IANA names are short ("America/Argentina/ComodRivadavia" is 32); longer is not a zone.
constexpr std::size_t kMaxTimeZoneName = 64;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kPredefinedFormats[] = {"combined", "main"};

// 'text' for messages: control bytes escaped (a config value must not drive the terminal), cut
// at kMaxQuotedBytes.
std::string quote(std::string_view text) {
  std::string out = "'";
  const std::size_t n = std::min(text.size(), kMaxQuotedBytes);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > n) out += "...";
  return out + "'";
}

std::string describeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return quote(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

std::string joinChoices(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// "a ratio", "an alertmanager".
std::string withArticle(std::string_view word) {
  const bool vowel =
      !word.empty() && std::string_view("aeiou").find(word[0]) != std::string_view::npos;
  return (vowel ? "an " : "a ") + std::string(word);
}

std::string positionText(SourcePosition p) {
  return std::to_string(p.line) + ":" + std::to_string(p.column);
}

bool isDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool parseCount(std::string_view s, uint64_t& out) {
  if (!isDigits(s)) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parseNumber(std::string_view s, double& out) {
  if (s.empty()) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(out);
}

char nameCharProblem(std::string_view name) {
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return c;
  }
  return 0;
}

bool isEnvName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// IANA names are path-like ("America/New_York", "Etc/GMT+9"); checked before TimeZone::load so a
// config can't make it open "../../dev/zero".
bool isTimeZoneName(std::string_view s) {
  if (s.empty() || s.size() > kMaxTimeZoneName || s.front() == '/' || s.back() == '/') return false;
  if (s.find("..") != std::string_view::npos || s.find("//") != std::string_view::npos)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

// Checks `host:port` (`[v6]:port`); "" when fine, else what is wrong.
std::string listenProblem(std::string_view text) {
  if (text.empty()) return {};  // the status server is off
  std::string_view host, port;
  if (text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return "listen " + quote(text) + ": write an IPv6 address as [::1]:9177";
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return "listen " + quote(text) + " needs host:port, e.g. 127.0.0.1:9177";
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return "listen " + quote(text) + ": put an IPv6 address in brackets, e.g. [::1]:9177";
    }
  }
  if (host.empty()) {
    return "listen " + quote(text) +
           " has no host: 127.0.0.1:PORT for this machine only, 0.0.0.0:PORT for every interface";
  }
  uint64_t number = 0;
  if (!parseCount(port, number) || number < 1 || number > 65535) {
    return "listen " + quote(text) + ": the port must be 1..65535";
  }
  return {};
}

// True for a listen address only this machine reaches: 127.0.0.0/8, [::1], localhost.
bool loopbackListen(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  const std::string_view host = colon == std::string_view::npos ? text : text.substr(0, colon);
  return host.starts_with("127.") || host == "[::1]" || host == "localhost";
}

// Why http.auth_password_hash cannot be used, or "". The status server (http/basic_auth.cpp)
// checks the same when it starts; here it is an error with the key's position. libcrypt must
// call it OK (DES and other legacy methods are refused: "garbage" is a valid DES hash) and
// hashing with it must give back as many characters as it has (a bare "$6$salt" has no hash).
std::string passwordHashProblem(const std::string& hash) {
  const std::string how = " (make one with `mkpasswd -m yescrypt` or `openssl passwd -6`)";
  switch (crypt_checksalt(hash.c_str())) {
    case CRYPT_SALT_OK:
      break;
    case CRYPT_SALT_METHOD_DISABLED:
      return "uses a hashing method this system's libcrypt has disabled" + how;
    case CRYPT_SALT_METHOD_LEGACY:
      return "is not a modern crypt(3) hash (DES, MD5 and other legacy methods are refused)" + how;
    case CRYPT_SALT_TOO_CHEAP:
      return "is too cheap to compute to protect a password (raise its rounds)" + how;
    default:
      return "is not a crypt(3) password hash ($y$... yescrypt, $6$... SHA-512)" + how;
  }
  auto scratch = std::make_unique<crypt_data>();
  const char* out = crypt_rn("gatewatch-probe", hash.c_str(), scratch.get(), sizeof(crypt_data));
  if (out == nullptr) return "is malformed: libcrypt cannot hash with it" + how;
  if (std::strlen(out) != hash.size()) {
    return "is only a salt (a setting) or cut short: it lacks the hash part" + how;
  }
  return {};
}

// Records where each YAML document starts, and nothing else.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;
  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// What a mapping walk saw: the keys found in the table, with their nodes.
struct Entry {
  std::string_view name;  // the row's name (static)
  YAML::Node key;
  YAML::Node value;
  bool converted = false;  // the value was valid and applied
};

struct Walked {
  YAML::Node map;
  std::vector<Entry> entries;
  const Entry* find(std::string_view name) const {
    for (const Entry& e : entries) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }
};

// The key that decides which other keys of an item apply (a rule's kind, a sink's type).
struct Selector {
  std::string_view key;   // "kind"
  std::string_view noun;  // "rule"
  std::vector<std::string_view> names;
  int selected = -1;  // -1: missing or invalid, so no key is refused for its kind
};

// The row fields converters need, whatever section the row is from.
struct RowInfo {
  std::string_view name;
  ValueType type;
  std::string_view choices;
  keys::Range range;
  std::string_view default_text;

  template <class T>
  static RowInfo of(const KeyRow<T>& row) {
    return {row.name, row.type, row.choices, row.range, row.default_text};
  }
};

class Loader {
 public:
  Loader(std::string_view text, std::string file)
      : text_(text), map_(text_), file_(std::move(file)) {}

  ConfigLoad run() {
    ConfigLoad load;
    load.config.path = file_;
    try {
      parse(load.config);
    } catch (const YAML::DeepRecursion& e) {
      // yaml-cpp 0.7 stops at a nesting depth of about 2000 and says only "bad file".
      reportAt(position(e.mark), "YAML nested too deeply (a gatewatch config needs 4 levels)");
    } catch (const YAML::ParserException& e) {
      reportAt(position(e.mark), "YAML syntax error: " + e.msg);
    } catch (const YAML::Exception& e) {
      reportAt(position(e.mark), "YAML error: " + e.msg);
    } catch (const std::exception& e) {
      reportAt({}, std::string("could not load the config: ") + e.what());
    }
    finish(problems_);
    finish(warnings_);
    if (dropped_ > 0) {
      problems_.push_back(
          {file_, 0, 0, "... and " + std::to_string(dropped_) + " more problems not shown"});
    }
    load.problems = std::move(problems_);
    load.warnings = std::move(warnings_);
    return load;
  }

 private:
  // --- reporting ------------------------------------------------------------------------------

  SourcePosition position(const YAML::Mark& mark) const {
    if (mark.is_null() || mark.pos < 0) return {};
    const SourcePosition p = map_.at(static_cast<std::size_t>(mark.pos));
    // Trust the byte offset only when it agrees with yaml-cpp's line (a lone '\r' would not).
    if (p.line != mark.line + 1) return {mark.line + 1, mark.column + 1};
    return p;
  }
  SourcePosition position(const YAML::Node& node) const { return position(node.Mark()); }

  void reportAt(SourcePosition p, std::string message) {
    if (problems_.size() >= kMaxConfigProblems) {
      ++dropped_;
      return;
    }
    problems_.push_back({file_, p.line, p.column, std::move(message)});
  }
  void report(const YAML::Node& at, std::string message) {
    reportAt(position(at), std::move(message));
  }
  void warn(const YAML::Node& at, std::string message) { warnAt(position(at), std::move(message)); }
  void warnAt(SourcePosition p, std::string message) {
    if (warnings_.size() < kMaxConfigProblems) {
      warnings_.push_back({file_, p.line, p.column, std::move(message)});
    }
  }

  // Sorted by position; the same problem reached twice through an alias is shown once.
  static void finish(std::vector<ConfigProblem>& list) {
    auto key = [](const ConfigProblem& p) { return std::tie(p.line, p.column, p.message); };
    std::stable_sort(list.begin(), list.end(), [&](const ConfigProblem& a, const ConfigProblem& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    list.erase(std::unique(list.begin(), list.end(),
                           [&](const ConfigProblem& a, const ConfigProblem& b) {
                             return key(a) == key(b);
                           }),
               list.end());
  }

  // --- the file -------------------------------------------------------------------------------

  void parse(Config& config) {
    const YAML::Node root = YAML::Load(text_);
    // A second document is refused. Not through YAML::LoadAll: on input where yaml-cpp 0.7's
    // parser stops advancing (a ',' at the top, found by fuzzing) it makes empty documents
    // forever. Here at most two are looked at.
    std::istringstream stream(text_);
    YAML::Parser parser(stream);
    DocumentStarts starts;
    for (int i = 0; i < 2 && parser.HandleNextDocument(starts); ++i) {
    }
    if (starts.marks.size() > 1) {
      const YAML::Mark& second = starts.marks[1];
      if (second.pos == starts.marks[0].pos) {
        reportAt(position(second), "YAML syntax error: text the YAML parser cannot read");
        return;
      }
      reportAt(position(second),
               "a second YAML document: a config is one document (remove the '---')");
    }
    if (root.IsNull()) {
      reportAt({1, 1},
               "the config is empty: add a source under sources: (see config/gatewatch.yaml)");
      return;
    }
    if (!root.IsMap()) {
      report(root, "expected a mapping of keys (sources:, rules:, sinks: ...) at the top, got " +
                       describeNode(root));
      return;
    }
    walkTop(root, config);
  }

  void walkTop(const YAML::Node& root, Config& config) {
    const Walked top = walk<Config>(root, keys::topKeys(), config, nullptr, /*extensions=*/true);
    for (const Entry& e : top.entries) {
      if (e.name == "http") {
        walkSection<HttpConfig>(e, keys::httpKeys(), config.http);
        checkHttpAuth(e, config.http);
      }
      if (e.name == "context") walkSection<ContextConfig>(e, keys::contextKeys(), config.context);
      if (e.name == "tail") walkSection<TailConfig>(e, keys::tailKeys(), config.tail);
    }

    const Entry* sources = top.find("sources");
    if (sources == nullptr) {
      report(root, "no sources: add one under sources: (name:, access_log:)");
    } else {
      walkSources(*sources, config);
    }
    if (const Entry* sinks_entry = top.find("sinks")) walkSinks(*sinks_entry, config);
    const Entry* sinks = top.find("sinks");
    if (config.sinks.empty() && (sinks == nullptr || sinks->value.IsSequence())) {
      warnAt({1, 1},
             "no sinks: `gatewatch run` prints alerts on stdout and records them in history "
             "(add one under sinks:)");
    }
    if (const Entry* rules = top.find("rules")) {
      walkRules(*rules, config);
    } else {
      config.rules = defaultRules();
    }
  }

  // http: basic auth takes both keys or neither, a user without ':' and a hash libcrypt can
  // verify; a status server reachable beyond loopback without it is worth a warning.
  void checkHttpAuth(const Entry& entry, const HttpConfig& http) {
    if (!entry.value.IsMap()) return;
    std::optional<YAML::Node> user_key, user_value, hash_key, hash_value, listen_value;
    for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
      if (!it->first.IsScalar()) continue;
      const std::string& name = it->first.Scalar();
      if (name == "auth_user") {
        user_key.emplace(it->first);
        user_value.emplace(it->second);
      } else if (name == "auth_password_hash") {
        hash_key.emplace(it->first);
        hash_value.emplace(it->second);
      } else if (name == "listen") {
        listen_value.emplace(it->second);
      }
    }
    const bool has_user = !http.auth_user.empty();
    const bool has_hash = !http.auth_password_hash.empty();
    if (has_user && !has_hash) {
      report(*user_key,
             "http.auth_user is set without http.auth_password_hash: basic auth needs both (or "
             "neither)");
    }
    if (has_hash && !has_user) {
      report(*hash_key,
             "http.auth_password_hash is set without http.auth_user: basic auth needs both (or "
             "neither)");
    }
    if (has_user && http.auth_user.find(':') != std::string::npos) {
      report(*user_value,
             "http.auth_user " + quote(http.auth_user) +
                 " contains ':', which basic auth cannot carry in a user name (it splits user and "
                 "password at the first ':')");
    }
    if (has_hash) {
      if (std::string problem = passwordHashProblem(http.auth_password_hash); !problem.empty()) {
        report(*hash_value, "http.auth_password_hash " + problem);
      }
    }
    if (!http.listen.empty() && !loopbackListen(http.listen) && !(has_user && has_hash)) {
      const YAML::Node& at = listen_value ? *listen_value : entry.key;
      warn(at, "http.listen " + quote(http.listen) +
                   " is not loopback and basic auth is off: anyone who can reach the port reads "
                   "the alert history, the log lines in it and the metrics; set http.auth_user "
                   "and http.auth_password_hash, or listen on 127.0.0.1 and use an SSH tunnel "
                   "(ssh -L 9177:127.0.0.1:9177 server)");
    }
  }

  // Walks one mapping against its rows: unknown keys, duplicates, keys of another kind, and every
  // value converted and applied to `target`. Sections (apply == nullptr) are left to the caller.
  template <class T>
  Walked walk(const YAML::Node& map, std::span<const KeyRow<T>> rows, T& target,
              const Selector* selector, bool extensions = false) {
    Walked walked{map, {}};
    std::unordered_map<std::string, YAML::Node> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar()) {
        report(key, "expected a key name, got " + describeNode(key));
        continue;
      }
      const std::string& name = key.Scalar();
      if (auto [first, inserted] = seen.try_emplace(name, key); !inserted) {
        report(key, "duplicate key " + quote(name) + " (first at " +
                        positionText(position(first->second)) + "): keep one");
        continue;
      }
      // `x-...:` at the top holds anchors for aliases elsewhere (as in docker compose files).
      if (extensions && name.starts_with("x-")) continue;
      const KeyRow<T>* row = nullptr;
      for (const KeyRow<T>& r : rows) {
        if (r.name == name) row = &r;
      }
      if (row == nullptr) {
        unknownKey(key, name, rows);
        continue;
      }
      if (selector != nullptr && selector->selected >= 0 &&
          (row->applies & (1u << selector->selected)) == 0) {
        std::vector<std::string_view> owners;
        for (std::size_t i = 0; i < selector->names.size(); ++i) {
          if (row->applies & (1u << i)) owners.push_back(selector->names[i]);
        }
        const std::string_view selected =
            selector->names[static_cast<std::size_t>(selector->selected)];
        report(key, quote(name) + " does not apply to " + withArticle(selected) + " " +
                        std::string(selector->noun) + ": it belongs to " + joinChoices(owners) +
                        " " + std::string(selector->noun) + "s");
        continue;
      }
      Entry entry{row->name, key, value, false};
      if (row->apply != nullptr) {
        Value converted;
        if (convert(RowInfo::of(*row), key, value, converted)) {
          row->apply(target, converted);
          entry.converted = true;
        }
      } else {
        entry.converted = true;
      }
      walked.entries.push_back(std::move(entry));
    }
    return walked;
  }

  template <class T>
  void unknownKey(const YAML::Node& key, const std::string& name, std::span<const KeyRow<T>> rows) {
    if (name == "<<") {
      report(key,
             "YAML merge keys (<<) are not supported: repeat the keys, or alias a whole value");
      return;
    }
    std::vector<std::string_view> names;
    for (const KeyRow<T>& r : rows) names.push_back(r.name);
    const std::string suggestion = didYouMean(name, names);
    if (!suggestion.empty()) {
      report(key, "unknown key " + quote(name) + " (did you mean '" + suggestion + "'?)");
    } else {
      report(key, "unknown key " + quote(name) + "; keys here: " + joinChoices(names));
    }
  }

  template <class T>
  void checkRequired(const Walked& walked, std::span<const KeyRow<T>> rows,
                     const std::string& label) {
    for (const KeyRow<T>& row : rows) {
      if (!row.required || walked.find(row.name) != nullptr) continue;
      std::string message = "missing required key '" + std::string(row.name) + "' in " + label;
      if (row.type == ValueType::kChoice) {
        message += ": use one of " + joinChoices(keys::splitChoices(row.choices));
      }
      report(walked.map, std::move(message));
    }
  }

  template <class T>
  void walkSection(const Entry& entry, std::span<const KeyRow<T>> rows, T& target) {
    if (!entry.value.IsMap()) {
      report(entry.value.IsNull() ? entry.key : entry.value,
             std::string(entry.name) + ": expected a mapping, got " + describeNode(entry.value));
      return;
    }
    walk<T>(entry.value, rows, target, nullptr);
  }

  // A list of mappings (sources, rules, sinks): true when `entry` holds one, items in `out`.
  bool itemList(const Entry& entry, std::string_view example, std::vector<YAML::Node>& out) {
    if (!entry.value.IsSequence()) {
      report(entry.value.IsNull() ? entry.key : entry.value,
             std::string(entry.name) + ": expected a list of mappings (- " + std::string(example) +
                 " ...), got " + describeNode(entry.value));
      return false;
    }
    for (const YAML::Node& item : entry.value) {
      if (!item.IsMap()) {
        report(item, std::string(entry.name) + ": expected a mapping (" + std::string(example) +
                         " ...), got " + describeNode(item));
        continue;
      }
      out.push_back(item);
    }
    return true;
  }

  static std::string label(std::string_view noun, const std::string& name, std::size_t index) {
    if (!name.empty()) return std::string(noun) + " '" + name + "'";
    return std::string(noun) + " #" + std::to_string(index + 1);
  }

  // The choice index of `key` in `map` when it is present and valid, else -1 (reported later).
  static int peekChoice(const YAML::Node& map, std::string_view key,
                        const std::vector<std::string_view>& names) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar() != key) continue;
      if (!it->second.IsScalar()) return -1;
      const auto found = std::find(names.begin(), names.end(), it->second.Scalar());
      return found == names.end() ? -1 : static_cast<int>(found - names.begin());
    }
    return -1;
  }

  // Names that must be unique within their list (two sources called "web").
  class NameSet {
   public:
    NameSet(Loader& loader, std::string noun) : loader_(loader), noun_(std::move(noun)) {}
    void add(const Walked& walked, const std::string& name) {
      const Entry* entry = walked.find("name");
      if (entry == nullptr || !entry->converted) return;
      const SourcePosition here = loader_.position(entry->value);
      if (auto [first, inserted] = first_.try_emplace(name, here); !inserted) {
        loader_.reportAt(here, "duplicate " + noun_ + " name '" + name + "' (first at " +
                                   positionText(first->second) + "): names must be unique");
      }
    }
    bool contains(const std::string& name) const { return first_.count(name) > 0; }

   private:
    Loader& loader_;
    std::string noun_;
    std::unordered_map<std::string, SourcePosition> first_;
  };

  void walkSources(const Entry& entry, Config& config) {
    std::vector<YAML::Node> items;
    if (!itemList(entry, "name:, access_log:", items)) return;
    if (entry.value.size() == 0) {
      report(entry.value, "no sources: add one under sources: (name:, access_log:)");
    }
    NameSet names(*this, "source");
    for (std::size_t i = 0; i < items.size(); ++i) {
      SourceConfig source;
      const Walked walked = walk<SourceConfig>(items[i], keys::sourceKeys(), source, nullptr);
      checkRequired(walked, keys::sourceKeys(), label("source", source.name, i));
      names.add(walked, source.name);
      if (walked.find("format") == nullptr) source.formats = {"combined"};
      config.sources.push_back(std::move(source));
      source_names_.push_back(config.sources.back().name);
    }
  }

  void walkSinks(const Entry& entry, Config& config) {
    std::vector<YAML::Node> items;
    if (!itemList(entry, "name:, type:", items)) return;
    NameSet names(*this, "sink");
    Selector selector{"type", "sink", {}, -1};
    for (const KeyRow<SinkConfig>& row : keys::sinkKeys()) {
      if (row.name == "type") selector.names = keys::splitChoices(row.choices);
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      SinkConfig sink;
      selector.selected = peekChoice(items[i], selector.key, selector.names);
      const Walked walked = walk<SinkConfig>(items[i], keys::sinkKeys(), sink, &selector);
      const std::string what = label("sink", sink.name, i);
      checkRequired(walked, keys::sinkKeys(), what);
      names.add(walked, sink.name);
      checkExclusive(walked, {"url", "url_env", "url_file"}, what, /*required=*/true);
      checkExclusive(walked, {"secret_env", "secret_file"}, what, /*required=*/false);
      const Entry* url = walked.find("url");
      if (url != nullptr && url->converted && selector.selected >= 0 &&
          sink.type != SinkType::kAlertmanager) {
        // An Alertmanager address is not a secret; a Slack or webhook URL is a credential.
        warn(url->key, what + " has its URL in the config file: prefer url_env or url_file (a " +
                           toString(sink.type) + " URL is a secret)");
      }
      config.sinks.push_back(std::move(sink));
      sink_names_.push_back(config.sinks.back().name);
    }
  }

  // At most one of `keys` (exactly one when `required`).
  void checkExclusive(const Walked& walked, std::initializer_list<std::string_view> names,
                      const std::string& what, bool required) {
    const Entry* first = nullptr;
    std::string listed;
    for (std::string_view name : names) {
      listed += (listed.empty() ? "" : ", ") + std::string(name);
      const Entry* e = walked.find(name);
      if (e == nullptr) continue;
      if (first == nullptr) {
        first = e;
      } else {
        report(e->key, what + " sets both " + std::string(first->name) + " and " +
                           std::string(e->name) + ": keep one");
      }
    }
    if (required && first == nullptr) {
      report(walked.map, what + " needs one of " + listed);
    }
  }

  void walkRules(const Entry& entry, Config& config) {
    std::vector<YAML::Node> items;
    if (!itemList(entry, "name:, kind:", items)) return;
    if (entry.value.size() == 0) {
      warn(entry.value,
           "rules: is an empty list, so no rule will fire; remove the key for the "
           "default rules");
    }
    NameSet names(*this, "rule");
    Selector selector{"kind", "rule", {}, -1};
    for (const KeyRow<RuleConfig>& row : keys::ruleKeys()) {
      if (row.name == "kind") selector.names = keys::splitChoices(row.choices);
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      RuleConfig rule;
      selector.selected = peekChoice(items[i], selector.key, selector.names);
      const Walked walked = walk<RuleConfig>(items[i], keys::ruleKeys(), rule, &selector);
      const std::string what = label("rule", rule.name, i);
      checkRequired(walked, keys::ruleKeys(), what);
      names.add(walked, rule.name);
      if (selector.selected >= 0) applyKindDefaults(walked, rule, what);
      if (rule.kind == RuleKind::kErrorLog && selector.selected >= 0) {
        checkErrorLogSources(walked, rule, config, what);
      }
      checkReferences(walked, "sources", "source", source_names_, what);
      checkReferences(walked, "sinks", "sink", sink_names_, what);
      config.rules.push_back(std::move(rule));
    }
  }

  void applyKindDefaults(const Walked& walked, RuleConfig& rule, const std::string& what) {
    if (walked.find("statuses") == nullptr) rule.statuses = keys::defaultStatuses(rule.kind);
    if (walked.find("group_by") == nullptr) rule.group_by = keys::defaultGroupBy(rule.kind);
    switch (rule.kind) {
      case RuleKind::kRatio:
        if (!rule.ratio && !rule.count && walked.find("ratio") == nullptr &&
            walked.find("count") == nullptr) {
          rule.ratio = keys::kDefaultRatio;
        }
        break;
      case RuleKind::kConsecutive:
        if (walked.find("count") == nullptr) rule.count = keys::kDefaultConsecutiveCount;
        break;
      case RuleKind::kErrorLog:
        if (walked.find("count") == nullptr) rule.count = keys::kDefaultErrorLogCount;
        if (walked.find("match") == nullptr) rule.match = keys::defaultErrorLogMatch();
        break;
      case RuleKind::kBurnRate: {
        const Entry* windows = walked.find("windows");
        if (windows == nullptr) rule.burn_windows = keys::defaultBurnWindows();
        // Error ratios never exceed 1: a threshold above it can never be reached.
        for (const BurnWindow& w : rule.burn_windows) {
          const double threshold = w.factor * (1 - rule.objective);
          if (threshold > 1) {
            warn(windows != nullptr ? windows->value : walked.map,
                 what + " can never fire: factor " + keys::numberText(w.factor) +
                     " x (1 - objective " + keys::numberText(rule.objective) +
                     ") = " + keys::numberText(threshold) + " is above 1");
            break;
          }
        }
        break;
      }
      case RuleKind::kSilence:
        break;
    }
  }

  // An error_log rule sees nothing unless a source it watches has an error_log.
  void checkErrorLogSources(const Walked& walked, const RuleConfig& rule, const Config& config,
                            const std::string& what) {
    bool any_watched = false;
    for (const SourceConfig& source : config.sources) {
      const bool watched =
          rule.sources.empty() ||
          std::find(rule.sources.begin(), rule.sources.end(), source.name) != rule.sources.end();
      if (!watched) continue;
      any_watched = true;
      if (!source.error_log.empty()) return;
    }
    if (any_watched) {
      warn(walked.map, what + " reads error.log lines, but no source it watches has an error_log");
    }
  }

  // Every name in a rule's sources:/sinks: must be defined.
  void checkReferences(const Walked& walked, std::string_view key, std::string_view noun,
                       const std::vector<std::string>& defined, const std::string& what) {
    const Entry* entry = walked.find(key);
    if (entry == nullptr || !entry->converted) return;
    std::vector<std::string_view> candidates(defined.begin(), defined.end());
    for (const YAML::Node& item : entry->value) {
      const std::string& name = item.Scalar();
      if (std::find(defined.begin(), defined.end(), name) != defined.end()) continue;
      std::string message =
          what + " names " + std::string(noun) + " '" + name + "', which is not defined";
      if (defined.empty()) {
        message += ": there are no " + std::string(noun) + "s";
      } else if (const std::string s = didYouMean(name, candidates); !s.empty()) {
        message += " (did you mean '" + s + "'?)";
      } else {
        message += "; " + std::string(noun) + "s: " + joinChoices(candidates);
      }
      report(item, std::move(message));
    }
  }

  // --- values ---------------------------------------------------------------------------------

  void wrongType(const RowInfo& row, const YAML::Node& key, const YAML::Node& value,
                 std::string_view hint = {}) {
    report(value.IsNull() ? key : value, std::string(row.name) + ": expected " +
                                             keys::typeText(row.type, row.choices) + ", got " +
                                             describeNode(value) + std::string(hint));
  }

  void outOfRange(const RowInfo& row, const YAML::Node& at, const std::string& shown) {
    report(at, std::string(row.name) + " must be " + keys::rangeText(row.type, row.range) +
                   ", got " + shown);
  }

  // The items of a list value, each a scalar; false (reported) when it is not one.
  bool scalarList(const RowInfo& row, const YAML::Node& key, const YAML::Node& value,
                  std::vector<YAML::Node>& items) {
    if (!value.IsSequence()) {
      std::string hint;
      if (value.IsScalar()) hint = " (write [" + value.Scalar() + "] for a list of one)";
      wrongType(row, key, value, hint.size() > kMaxQuotedBytes ? std::string_view() : hint);
      return false;
    }
    bool ok = true;
    for (const YAML::Node& item : value) {
      if (!item.IsScalar()) {
        report(item, std::string(row.name) + ": expected a list of single values, got " +
                         describeNode(item) + " in it");
        ok = false;
        continue;
      }
      items.push_back(item);
    }
    if (ok && keys::isList(row.type) && static_cast<double>(items.size()) < row.range.min) {
      std::string message = std::string(row.name) + " is an empty list";
      if (!row.default_text.empty()) {
        message += ": remove the key for the default (" + std::string(row.default_text) + ")";
      }
      report(value, std::move(message));
      ok = false;
    }
    return ok;
  }

  bool checkName(const RowInfo& row, const YAML::Node& at, const std::string& name) {
    if (name.empty()) {
      report(at, std::string(row.name) + " is empty");
      return false;
    }
    if (name.size() > kMaxNameLength) {
      report(at, std::string(row.name) + " " + quote(name) + " is longer than " +
                     std::to_string(kMaxNameLength) + " characters");
      return false;
    }
    if (const char bad = nameCharProblem(name); bad != 0) {
      report(at, std::string(row.name) + " " + quote(name) + " has " + quote(std::string(1, bad)) +
                     " in it: use letters, digits, '.', '_' and '-'");
      return false;
    }
    return true;
  }

  bool convertDuration(const RowInfo& row, const YAML::Node& at, const std::string& text,
                       Millis& out) {
    if (text.size() > kMaxDurationText || !parseDuration(text, out)) {
      if (isDigits(text) && text.size() < kMaxDurationText) {
        report(at,
               "bad duration " + quote(text) + ": add a unit, e.g. " + text + "s or " + text + "m");
      } else {
        report(at, "bad duration " + quote(text) + ": use 500ms, 30s, 5m, 2h");
      }
      return false;
    }
    if (!keys::inRange(row.range, static_cast<double>(out.count()))) {
      outOfRange(row, at, keys::durationText(out));
      return false;
    }
    return true;
  }

  bool convert(const RowInfo& row, const YAML::Node& key, const YAML::Node& value, Value& out) {
    const bool wants_scalar = !keys::isList(row.type) && row.type != ValueType::kMapping;
    if (wants_scalar && !value.IsScalar()) {
      wrongType(row, key, value);
      return false;
    }
    const std::string& text = value.Scalar();
    switch (row.type) {
      case ValueType::kName:
        out.text = text;
        return checkName(row, value, text);

      case ValueType::kString:
        out.text = text;
        return true;

      case ValueType::kPath:
        if (text.empty()) {
          report(value, std::string(row.name) + " is empty");
          return false;
        }
        out.text = text;
        return true;

      case ValueType::kEnvName:
        if (!isEnvName(text)) {
          std::string message = std::string(row.name) + " " + quote(text) +
                                " is not an environment variable name (letters, digits, '_')";
          if (!text.empty() && text[0] == '$') message += ": write it without the '$'";
          report(value, std::move(message));
          return false;
        }
        out.text = text;
        return true;

      case ValueType::kUrl: {
        const bool http = text.starts_with("http://") && text.size() > 7;
        const bool https = text.starts_with("https://") && text.size() > 8;
        if (!http && !https) {
          report(value, std::string(row.name) + " " + quote(text) +
                            " must start with http:// or https://");
          return false;
        }
        out.text = text;
        return true;
      }

      case ValueType::kListen:
        if (std::string problem = listenProblem(text); !problem.empty()) {
          report(value, std::move(problem));
          return false;
        }
        out.text = text;
        return true;

      case ValueType::kTimeZone: {
        if (!isTimeZoneName(text)) {
          report(value, std::string(row.name) + " " + quote(text) +
                            " is not an IANA zone name such as Asia/Seoul or UTC");
          return false;
        }
        const Result<TimeZone> zone = TimeZone::load(text);
        if (!zone.ok()) {
          report(value, std::string(row.name) + " " + quote(text) + ": " + zone.error().message);
          return false;
        }
        out.text = text;
        return true;
      }

      case ValueType::kDuration:
        return convertDuration(row, value, text, out.duration);

      case ValueType::kCount:
        if (!parseCount(text, out.count)) {
          report(value, std::string(row.name) + ": expected a whole number, got " + quote(text));
          return false;
        }
        if (!keys::inRange(row.range, static_cast<double>(out.count))) {
          outOfRange(row, value, std::to_string(out.count));
          return false;
        }
        return true;

      case ValueType::kNumber:
        if (!parseNumber(text, out.number)) {
          std::string message = std::string(row.name) + ": expected a number, got " + quote(text);
          if (!text.empty() && text.back() == '%') message += " (write 5% as 0.05)";
          report(value, std::move(message));
          return false;
        }
        if (!keys::inRange(row.range, out.number)) {
          outOfRange(row, value, keys::numberText(out.number));
          return false;
        }
        return true;

      case ValueType::kChoice:
        return convertChoice(row, value, text, out.choice);

      case ValueType::kNameList:
      case ValueType::kStringList:
      case ValueType::kPatternList:
      case ValueType::kChoiceList:
      case ValueType::kStatusList:
        return convertList(row, key, value, out);

      case ValueType::kLogFormats:
        return convertFormats(row, key, value, out);

      case ValueType::kBurnWindows:
        return convertBurnWindows(row, key, value, out);

      case ValueType::kMapping:
      case ValueType::kMappingList:
        return true;  // walked by the caller
    }
    return false;
  }

  bool convertChoice(const RowInfo& row, const YAML::Node& at, const std::string& text,
                     std::size_t& out) {
    const std::vector<std::string_view> names = keys::splitChoices(row.choices);
    const auto found = std::find(names.begin(), names.end(), text);
    if (found != names.end()) {
      out = static_cast<std::size_t>(found - names.begin());
      return true;
    }
    std::string message = "unknown " + std::string(row.name) + " " + quote(text);
    if (const std::string s = didYouMean(text, names); !s.empty())
      message += " (did you mean '" + s + "'?)";
    report(at, message + ": use one of " + joinChoices(names));
    return false;
  }

  bool convertList(const RowInfo& row, const YAML::Node& key, const YAML::Node& value, Value& out) {
    std::vector<YAML::Node> items;
    if (!scalarList(row, key, value, items)) return false;
    bool ok = true;
    for (const YAML::Node& item : items) {
      const std::string& text = item.Scalar();
      switch (row.type) {
        case ValueType::kNameList:
          ok = checkName(row, item, text) && ok;
          out.texts.push_back(text);
          break;
        case ValueType::kStringList:
          out.texts.push_back(text);
          break;
        case ValueType::kPatternList:
          ok = checkPattern(row, item) && ok;
          out.texts.push_back(text);
          break;
        case ValueType::kChoiceList: {
          std::size_t choice = 0;
          if (!convertChoice(row, item, text, choice)) {
            ok = false;
          } else if (std::find(out.choice_list.begin(), out.choice_list.end(), choice) !=
                     out.choice_list.end()) {
            warn(item, std::string(row.name) + " lists " + quote(text) + " twice");
          } else {
            out.choice_list.push_back(choice);
          }
          break;
        }
        case ValueType::kStatusList: {
          uint64_t status = 0;
          if (!parseCount(text, status)) {
            report(item, std::string(row.name) + ": expected an HTTP status (100..599), got " +
                             quote(text));
            ok = false;
          } else if (status < 100 || status > 599) {
            report(item, "status " + text + " is outside 100..599");
            ok = false;
          } else {
            out.statuses.push_back(static_cast<uint16_t>(status));
          }
          break;
        }
        default:
          break;
      }
    }
    return ok;
  }

  bool convertFormats(const RowInfo& row, const YAML::Node& key, const YAML::Node& value,
                      Value& out) {
    std::vector<YAML::Node> items;
    if (value.IsScalar()) {
      items.push_back(value);
    } else if (!scalarList(row, key, value, items)) {
      return false;
    }
    bool ok = true;
    for (const YAML::Node& item : items) {
      ok = checkFormat(row, item) && ok;
      out.texts.push_back(item.Scalar());
    }
    return ok;
  }

  // Compiles an RE2 pattern as the alert stage's redactor will (same options) and points an error
  // at the part RE2 names.
  bool checkPattern(const RowInfo& row, const YAML::Node& item) {
    const std::string& text = item.Scalar();
    re2::RE2::Options options;
    options.set_log_errors(false);  // returned here, not printed to stderr
    const re2::RE2 re(text, options);
    if (re.ok()) return true;
    SourcePosition where = position(item);
    const YAML::Mark mark = item.Mark();
    const std::size_t at = re.error_arg().empty() ? std::string::npos : text.find(re.error_arg());
    if (at != std::string::npos && where.line > 0 && mark.pos >= 0 && where.line == mark.line + 1) {
      where =
          map_.at(sourceOffsetInScalar(map_.text(), static_cast<std::size_t>(mark.pos), text, at));
    }
    reportAt(where, std::string(row.name) + ": pattern " + quote(text) + " does not compile: " +
                        re.error() + " (RE2 syntax: github.com/google/re2/wiki/Syntax)");
    return false;
  }

  // Compiles a log_format and points an error at the offending byte inside the scalar.
  bool checkFormat(const RowInfo& row, const YAML::Node& item) {
    const std::string& text = item.Scalar();
    const bool bare_word = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '-';
    });
    if (bare_word) {
      // A single word is a predefined name; compiled as a format it would match no line at all.
      if (std::find(std::begin(kPredefinedFormats), std::end(kPredefinedFormats), text) !=
          std::end(kPredefinedFormats)) {
        return true;
      }
      std::string message = "unknown predefined " + std::string(row.name) + " " + quote(text);
      if (const std::string s = didYouMean(text, kPredefinedFormats); !s.empty()) {
        message += " (did you mean '" + s + "'?)";
      }
      report(item, message + ": use combined, main, or an nginx log_format string");
      return false;
    }
    FormatError detail{};
    const Result<LogFormat> compiled = LogFormat::compile(text, &detail);
    if (!compiled.ok()) {
      SourcePosition where = position(item);
      const YAML::Mark mark = item.Mark();
      if (where.line > 0 && mark.pos >= 0 && where.line == mark.line + 1) {
        where = map_.at(sourceOffsetInScalar(map_.text(), static_cast<std::size_t>(mark.pos), text,
                                             detail.offset));
      }
      const std::string& why = detail.message.empty() ? compiled.error().message : detail.message;
      reportAt(where, std::string(row.name) + ": " + why);
      return false;
    }
    if (!compiled->hasTime()) {
      warn(item, std::string(row.name) +
                     " has no $time_local, $time_iso8601 or $msec: rules "
                     "window on log times, so lines will lack one");
    }
    return true;
  }

  bool convertBurnWindows(const RowInfo& row, const YAML::Node& key, const YAML::Node& value,
                          Value& out) {
    if (!value.IsSequence()) {
      wrongType(row, key, value);
      return false;
    }
    if (value.size() == 0) {
      report(value, std::string(row.name) + " is an empty list: remove the key for the default (" +
                        std::string(row.default_text) + ")");
      return false;
    }
    bool ok = true;
    std::size_t index = 0;
    for (const YAML::Node& item : value) {
      ++index;
      if (!item.IsMap()) {
        report(item, std::string(row.name) + ": expected a mapping {long:, short:, factor:}, got " +
                         describeNode(item));
        ok = false;
        continue;
      }
      BurnWindow window;
      const Walked walked = walk<BurnWindow>(item, keys::burnWindowKeys(), window, nullptr);
      const std::size_t before = problems_.size() + dropped_;
      checkRequired(walked, keys::burnWindowKeys(), "windows #" + std::to_string(index));
      bool item_ok = problems_.size() + dropped_ == before;
      for (const Entry& e : walked.entries) item_ok = item_ok && e.converted;
      const Entry* short_entry = walked.find("short");
      if (item_ok && window.short_window >= window.long_window) {
        report(short_entry->value, "short window " + keys::durationText(window.short_window) +
                                       " must be shorter than the long window " +
                                       keys::durationText(window.long_window));
        item_ok = false;
      }
      ok = ok && item_ok;
      out.windows.push_back(window);
    }
    return ok;
  }

  std::string text_;
  SourceMap map_;
  std::string file_;
  std::vector<ConfigProblem> problems_;
  std::vector<ConfigProblem> warnings_;
  std::size_t dropped_ = 0;
  std::vector<std::string> source_names_;
  std::vector<std::string> sink_names_;
};

// Closes the descriptor when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string tooLarge(std::size_t bytes) {
  return "the file is " + std::to_string(bytes) + " bytes; a config is at most " +
         std::to_string(kMaxConfigBytes) + " (is this the right file?)";
}

}  // namespace

std::string ConfigProblem::toString() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

ConfigLoad loadConfigText(std::string_view yaml_text, const std::string& file_name) {
  if (yaml_text.size() > kMaxConfigBytes) {
    ConfigLoad load;
    load.config.path = file_name;
    load.problems.push_back({file_name, 0, 0, tooLarge(yaml_text.size())});
    return load;
  }
  // yaml-cpp drops a UTF-8 BOM and counts positions after it; so do we.
  if (yaml_text.starts_with(kUtf8Bom)) yaml_text.remove_prefix(kUtf8Bom.size());
  return Loader(yaml_text, file_name).run();
}

ConfigLoad loadConfigFile(const std::string& path) {
  auto fail = [&](std::string message) {
    ConfigLoad load;
    load.config.path = path;
    load.problems.push_back({path, 0, 0, std::move(message)});
    return load;
  };
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    return fail(std::string("cannot open the config: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<std::size_t>(st.st_size) > kMaxConfigBytes) {
    return fail(tooLarge(static_cast<std::size_t>(st.st_size)));
  }
  // Read at most one byte past the limit: pipes and /dev files have no size to check first.
  std::string text;
  char buffer[16 * 1024];
  while (text.size() <= kMaxConfigBytes) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(std::string("cannot read the config: ") + std::strerror(errno));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  if (text.size() > kMaxConfigBytes) {
    return fail("the file is larger than " + std::to_string(kMaxConfigBytes) +
                " bytes, the most a config may have (is this the right file?)");
  }
  return loadConfigText(text, path);
}

}  // namespace gw
