#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace ferry::cli {

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

ProgressLine::ProgressLine(const engine::SyncProgress& progress, bool enabled)
    : progress_(progress), start_(std::chrono::steady_clock::now()) {
  if (enabled) thread_ = std::thread([this] { Run(); });
}

void ProgressLine::Stop() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
  }
}

void ProgressLine::Run() {
  int64_t last_rows = 0;
  auto last = start_;
  double rate = 0;
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = std::chrono::steady_clock::now();
    int64_t rows = progress_.rows.load();
    double dt = std::chrono::duration<double>(now - last).count();
    if (dt >= 0.5) {
      rate = (rows - last_rows) / dt;
      last_rows = rows;
      last = now;
    }
    double elapsed = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r\033[KSyncing: %lld rows (%.0f rows/s), %lld table-clients done, %lld tables, %.0fs",
                 static_cast<long long>(rows), rate, static_cast<long long>(progress_.table_clients_done.load()),
                 static_cast<long long>(progress_.tables_total.load()), elapsed);
    std::fflush(stderr);
  }
}

}  // namespace ferry::cli
