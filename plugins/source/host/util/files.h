// Small POSIX file helpers for the `host` source: whole-file reads that work
// on /proc and /sys (whose files report size 0), symlink targets, directory
// listings. Errors are values: every function returns 0 or the errno of the
// failing call, so callers can tell "gone" (a process exited while being
// read) from "denied" (permissions) without parsing messages.
//
// All functions are thread-safe (no shared state) and never throw.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ferry::plugins::host {

// Reads at most `max_bytes` of `path` into `out` (replacing its contents).
// Returns 0 or an errno. A file longer than max_bytes is cut, not an error.
int ReadFile(const std::string& path, std::string* out, int64_t max_bytes = 16 << 20);

// The target of the symlink `path`. Returns 0 or an errno.
int ReadLink(const std::string& path, std::string* out);

// Names in directory `path` except "." and "..", unsorted. Returns 0 or an errno.
int ListDir(const std::string& path, std::vector<std::string>* names);

// Trimmed first line of a file, or "" when it cannot be read (sysfs attributes).
std::string ReadAttr(const std::string& path);

// ENOENT, ESRCH, ENOTDIR: the entry went away (or never existed).
bool IsGone(int err);
// EACCES, EPERM.
bool IsDenied(int err);
// "path: strerror(err)".
std::string ErrnoMessage(const std::string& path, int err);

}  // namespace ferry::plugins::host
