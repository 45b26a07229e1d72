// HistoryReader: the status server's own connection to the state database, for the history
// endpoints. Opened on first use and afresh after any failure, so a server that started before
// the database was ready (or across a damaged file moved aside) answers as soon as it can. Used
// on the server's thread only.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "store/history_store.h"
#include "store/minute_store.h"

namespace gw {

class HistoryReader {
 public:
  explicit HistoryReader(std::string db_path);  // "": history is off
  ~HistoryReader();
  HistoryReader(const HistoryReader&) = delete;
  HistoryReader& operator=(const HistoryReader&) = delete;

  // The store, or why there is none (history off, no database file yet, schema not created).
  Result<HistoryStore*> store();
  // The per-minute counters over the same connection (the history page's charts). Its queries
  // fail when the database predates them (schema version 2): reset() and retry later.
  Result<MinuteStore*> minutes();
  // Drops the connection after a failed query: the next store() or minutes() opens it again.
  void reset();

 private:
  struct Open;
  Result<Open*> connect();
  std::string path_;
  std::unique_ptr<Open> open_;
};

}  // namespace gw
