// Follows a growing log file across syncs with a cursor that survives
// rotation (rename + new file, also `copytruncate`) and truncation.
//
// A cursor names one "generation" of the file: its inode, a fingerprint of
// the bytes it starts with (so a recycled inode is not mistaken for the old
// file) and the byte offset and line count consumed so far. FollowLog decides
// where to continue:
//   * same inode and fingerprint, file not shorter: from the cursor's offset;
//   * another inode at `path` (or none): the old generation is looked up by
//     inode among the rotated names next to it (`path.1`, `path-20240101`,
//     ...) and read to its end, then the new file from 0;
//   * same inode but shorter (or rewritten): truncation. A copy holding the
//     old generation (`copytruncate`) is looked up by fingerprint and read
//     from the offset, then the file from 0.
// A generation that cannot be found any more is reported with a warning
// (its unread lines may be lost) and never fails the follow.
//
// Only complete lines are emitted; a partial last line waits for its newline,
// except in a rotated file, which will not grow any more. Lines longer than
// max_line_size are cut and flagged. Checkpoints are emitted every
// checkpoint_every lines and when reading stops, always after the lines they
// cover; one sync reads at most read_limit bytes (the rest comes next sync).
// Not thread-safe; one call per file at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/status.h"

namespace ferry::plugins::host {

struct LogCursor {
  uint64_t inode = 0;      // 0: no generation yet (read the file from its start)
  int64_t offset = 0;      // bytes consumed
  int64_t line = 0;        // lines consumed
  int64_t head_len = 0;    // the fingerprint covers the first head_len bytes (<= 1 KiB, <= offset)
  std::string head;        // FNV-1a of those bytes
  std::string key;         // file_key of the generation's rows; "" until the first line

  // Compact JSON, the value stored in the state backend.
  std::string Encode() const;
  static Result<LogCursor> Decode(const std::string& text);
  bool operator==(const LogCursor& o) const = default;
};

struct LogLine {
  std::string_view text;   // without the newline; at most max_line_size bytes
  bool truncated = false;  // the line was longer than max_line_size
  int64_t offset = 0;      // byte offset of the line in `file`
  int64_t line_number = 0; // 1-based, within the generation
  std::string_view file;   // the file read: `path` or a rotated name
  uint64_t inode = 0;
  std::string_view file_key;  // "<inode>-<hash of its first bytes>": identity of the generation
};

struct FollowOptions {
  int64_t max_line_size = 64 << 10;
  int64_t read_limit = int64_t{256} << 20;
  int64_t checkpoint_every = 10000;
};

struct FollowEvents {
  std::function<Status(const LogLine&)> line;
  std::function<Status(const LogCursor&)> checkpoint;
  std::function<void(const std::string&)> warning;
};

// Follows `path` from `cursor` (nullopt: from the start of the current file).
// Errors of the callbacks are returned; file problems become warnings.
Status FollowLog(const std::string& path, const std::optional<LogCursor>& cursor, const FollowOptions& options,
                 const FollowEvents& events);

}  // namespace ferry::plugins::host
