// error_log: nginx error.log lines whose message contains one of the rule's `match` texts,
// `count` of them within `window`, per source. The source's access lines are its traffic: they
// fill the event's numbers and, when they succeed, are the healthy traffic that resolves it.
#include <algorithm>

#include "detect/rule_window.h"

namespace gw {
namespace {

// The matched text kept for the event's detail: enough for nginx's longest messages.
constexpr std::size_t kMaxMatchedTextBytes = 512;

class ErrorLogWindow final : public RuleWindow {
 public:
  explicit ErrorLogWindow(const RuleParams& params)
      : params_(params),
        matches_(params.config.window, false),
        access_(params.config.window, true) {}

  void clear() override {
    matches_.clear();
    access_.clear();
    last_text_.clear();
  }

  bool addRequest(Timestamp t, Timestamp now, bool failure, uint16_t status) override {
    access_.advance(now);
    return access_.add(t, failure, status);
  }

  void addErrorMatch(Timestamp t, Timestamp now, std::string_view text) override {
    matches_.advance(now);
    matches_.add(t, true, 0);
    last_text_.assign(text.substr(0, kMaxMatchedTextBytes));  // reuses its capacity
  }

  Condition evaluate(Timestamp now) override {
    matches_.advance(now);
    access_.advance(now);
    return {matches_.failures() >= params_.count, now};
  }

  // The earliest matching line still in the window.
  Timestamp startedAt(Timestamp now) const override {
    return matches_.earliestFailure(now).value_or(now);
  }

  const TrafficWindow& stats() const override { return access_; }

  std::string detail(Timestamp now) const override {
    const uint64_t n = matches_.at(now).failures;
    return formatCount(n) + " error.log line" + (n == 1 ? "" : "s") + " matched in " +
           formatSpan(params_.config.window) + ": " + last_text_;
  }

 private:
  const RuleParams& params_;
  TrafficWindow matches_;  // each match counted as a failure
  TrafficWindow access_;   // the source's requests, for the event's numbers
  std::string last_text_;
};

}  // namespace

bool errorLineMatches(const RuleParams& params, std::string_view message) {
  return std::any_of(
      params.config.match.begin(), params.config.match.end(),
      [&](const std::string& m) { return message.find(m) != std::string_view::npos; });
}

std::unique_ptr<RuleWindow> makeErrorLogWindow(const RuleParams& params) {
  return std::make_unique<ErrorLogWindow>(params);
}

}  // namespace gw
