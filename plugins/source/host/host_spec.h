// The `spec:` of the `host` source: what to read beyond the fixed system
// tables (files to list and hash, logs to follow) and the bounds that keep a
// sync fast and its memory small.
//
// SpecOptions() is the declared option table (validation, --help, JSON schema
// and docs come from it). ParseSpec() turns validated Options into a Spec and
// checks what the table cannot express: the shape of the `files` mapping and
// bounds. A Spec is a plain value, shared read-only by the resolvers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ferry/options.h"
#include "ferry/status.h"

namespace ferry::plugins::host {

struct FilePattern {
  std::string pattern;  // glob(7); a trailing "/**" lists a directory recursively
  bool hash = false;    // compute sha256 of the regular files it matches
};

struct Spec {
  int64_t concurrency{};
  int64_t max_open_files_per_process{};
  // files
  std::vector<FilePattern> files;
  int64_t max_hash_size{};
  int64_t max_files{};
  // logs
  std::vector<std::string> logs;
  int64_t max_line_size{};
  int64_t log_read_limit{};
  int64_t log_checkpoint_every{};
  // packages
  std::string dpkg_dir;
  std::string dpkg_log;
  // mounts
  std::vector<std::string> statfs_skip_types;
};

// The declared options of the `host` source.
const OptionTable& SpecOptions();

// Every key is bound once to its field and default (host_spec.cc,
// OptionBinder). Reads a Spec from options validated against SpecOptions()
// (Options built by hand are validated first). Fails on a malformed `files`
// mapping (unknown key, wrong type, empty pattern) with a message that names
// the key and suggests the nearest valid one.
Result<Spec> ParseSpec(const Options& options);

}  // namespace ferry::plugins::host
