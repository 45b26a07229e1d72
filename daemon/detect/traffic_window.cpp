#include "detect/traffic_window.h"

namespace gw {

WindowStats WindowSnapshot::toStats() const {
  WindowStats stats;
  stats.requests = requests;
  stats.errors = failures;
  for (const StatusCount& s : statuses) {
    if (s.count > 0) stats.by_status[s.status] += s.count;
  }
  return stats;
}

WindowSnapshot WindowSnapshot::fromStats(const WindowStats& stats) {
  WindowSnapshot snapshot;
  snapshot.requests = stats.requests;
  snapshot.failures = stats.errors;
  StatusCount& other = snapshot.statuses.back();  // status 0
  std::size_t used = 0;
  for (const auto& [status, count] : stats.by_status) {
    if (status != 0 && used < kStatusSlots) {
      snapshot.statuses[used++] = {status, count};
    } else {
      other.count += count;
    }
  }
  return snapshot;
}

TrafficWindow::TrafficWindow(Millis span, bool keep_statuses) : counts_(span) {
  if (keep_statuses) statuses_ = std::make_unique<BucketRing<StatusCell>>(span);
}

std::size_t TrafficWindow::slotFor(uint16_t status, bool failure) {
  const std::size_t first = failure ? kSuccessStatusSlots : 0;
  const std::size_t end = failure ? kStatusSlots : kSuccessStatusSlots;
  for (std::size_t i = first; i < end; ++i) {
    if (slot_status_[i] == status && slot_total_[i] > 0) return i;
  }
  for (std::size_t i = first; i < end; ++i) {
    if (slot_total_[i] == 0) {
      slot_status_[i] = status;
      return i;
    }
  }
  return kStatusSlots;  // "other"
}

bool TrafficWindow::add(Timestamp t, bool failure, uint16_t status) {
  CountCell* cell = counts_.at(t, [this](const CountCell& gone) {
    requests_ -= gone.requests;
    failures_ -= gone.failures;
  });
  if (cell == nullptr) return false;
  ++cell->requests;
  ++requests_;
  if (failure) {
    ++cell->failures;
    ++failures_;
    const int64_t ms = t.time_since_epoch().count();
    const int64_t w = counts_.width().count();
    const auto offset = static_cast<uint32_t>(((ms % w) + w) % w);
    cell->first_failure_ms = std::min(cell->first_failure_ms, offset);
  }
  if (statuses_) {
    StatusCell* by_slot = statuses_->at(t, [this](const StatusCell& gone) {
      for (std::size_t i = 0; i < gone.size(); ++i) slot_total_[i] -= gone[i];
    });
    if (by_slot != nullptr) {  // same geometry as counts_: never null here
      const std::size_t slot = slotFor(status, failure);
      ++(*by_slot)[slot];
      ++slot_total_[slot];
    }
  }
  return true;
}

void TrafficWindow::advance(Timestamp now) {
  counts_.advance(now, [this](const CountCell& gone) {
    requests_ -= gone.requests;
    failures_ -= gone.failures;
  });
  if (statuses_) {
    statuses_->advance(now, [this](const StatusCell& gone) {
      for (std::size_t i = 0; i < gone.size(); ++i) slot_total_[i] -= gone[i];
    });
  }
}

void TrafficWindow::clear() {
  counts_.clear();
  if (statuses_) statuses_->clear();
  slot_status_ = {};
  slot_total_ = {};
  requests_ = 0;
  failures_ = 0;
}

WindowSnapshot TrafficWindow::current() const {
  WindowSnapshot snap;
  snap.requests = requests_;
  snap.failures = failures_;
  if (statuses_) {
    for (std::size_t i = 0; i < kStatusSlots; ++i)
      snap.statuses[i] = {slot_status_[i], slot_total_[i]};
    snap.statuses[kStatusSlots] = {0, slot_total_[kStatusSlots]};
  }
  return snap;
}

WindowSnapshot TrafficWindow::at(Timestamp now) const {
  WindowSnapshot snap;
  counts_.forEach(now, [&](Timestamp, const CountCell& cell) {
    snap.requests += cell.requests;
    snap.failures += cell.failures;
  });
  if (statuses_) {
    for (std::size_t i = 0; i < kStatusSlots; ++i) snap.statuses[i].status = slot_status_[i];
    statuses_->forEach(now, [&](Timestamp, const StatusCell& cell) {
      for (std::size_t i = 0; i < cell.size(); ++i) snap.statuses[i].count += cell[i];
    });
  }
  return snap;
}

std::optional<Timestamp> TrafficWindow::earliestFailure(Timestamp now) const {
  std::optional<Timestamp> earliest;
  counts_.forEach(now, [&](Timestamp start, const CountCell& cell) {
    if (earliest || cell.failures == 0) return;
    earliest = start + Millis(cell.first_failure_ms);
  });
  return earliest;
}

std::optional<Timestamp> TrafficWindow::onsetOfFailures(Timestamp now, double ratio) const {
  std::optional<Timestamp> onset;
  int healthy_in_a_row = 0;
  counts_.forEach(now, [&](Timestamp start, const CountCell& cell) {
    if (cell.requests == 0) return;  // no traffic says nothing either way
    const bool elevated =
        cell.failures > 0 && double(cell.failures) >= ratio * double(cell.requests);
    if (elevated) {
      if (!onset) onset = start + Millis(cell.first_failure_ms);
      healthy_in_a_row = 0;
    } else if (++healthy_in_a_row > kOnsetHealthyBuckets) {
      onset.reset();  // the failures before this were background, not this incident
    }
  });
  return onset ? onset : earliestFailure(now);
}

}  // namespace gw
