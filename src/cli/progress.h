// A live progress line on stderr while a sync runs, only when stderr is a
// terminal: rows, rows/s, table-clients done, elapsed time. Refreshed every
// 100 ms by its own thread; Stop() clears the line.
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "engine/sync.h"

namespace ferry::cli {

class ProgressLine {
 public:
  ProgressLine(const engine::SyncProgress& progress, bool enabled);
  ~ProgressLine() { Stop(); }
  void Stop();

 private:
  void Run();
  const engine::SyncProgress& progress_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::chrono::steady_clock::time_point start_;
};

// True when fd 2 is a terminal.
bool StderrIsTerminal();

}  // namespace ferry::cli
