#include "config/config.h"

namespace gw {

std::vector<RuleConfig> defaultRules() {
  using namespace std::chrono_literals;
  RuleConfig down;
  down.name = "upstream-down";
  down.kind = RuleKind::kConsecutive;
  down.statuses = {502, 504};
  down.count = 3;
  down.within = 30min;
  down.group_by = {GroupKey::kSource, GroupKey::kUpstream};

  RuleConfig rate;
  rate.name = "upstream-failure-rate";
  rate.kind = RuleKind::kRatio;
  rate.statuses = {502, 503, 504};
  rate.window = 60s;
  rate.min_requests = 20;
  rate.ratio = 0.05;
  rate.count = 10;
  rate.group_by = {GroupKey::kSource};
  return {down, rate};
}

const char* toString(RuleKind kind) {
  switch (kind) {
    case RuleKind::kRatio:
      return "ratio";
    case RuleKind::kConsecutive:
      return "consecutive";
    case RuleKind::kBurnRate:
      return "burn_rate";
    case RuleKind::kErrorLog:
      return "error_log";
    case RuleKind::kSilence:
      return "silence";
  }
  return "?";
}

const char* toString(GroupKey key) {
  switch (key) {
    case GroupKey::kSource:
      return "source";
    case GroupKey::kHost:
      return "host";
    case GroupKey::kUpstream:
      return "upstream";
    case GroupKey::kPath:
      return "path";
  }
  return "?";
}

const char* toString(Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

const char* toString(SinkType type) {
  switch (type) {
    case SinkType::kSlack:
      return "slack";
    case SinkType::kWebhook:
      return "webhook";
    case SinkType::kAlertmanager:
      return "alertmanager";
  }
  return "?";
}

}  // namespace gw
