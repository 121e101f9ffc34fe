#include <CLI/CLI.hpp>
#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <thread>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "engine/log.h"
#include "rpc/host.h"
#include "rpc/server.h"

namespace {
// Multi-call binary: run as `ferry-source-<name>` or `ferry-destination-<name>`
// (a symlink to ferry), `serve ...` means `ferry plugin serve <kind> <name> ...`,
// so a built-in can be given to CloudQuery's CLI as a `registry: local`
// plugin binary, which it starts as `<path> serve --network unix ...`.
std::vector<std::string> PluginBinaryArgs(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  std::string base = args[0].substr(args[0].rfind('/') + 1);
  for (const std::string kind : {"source", "destination"}) {
    const std::string prefix = "ferry-" + kind + "-";
    if (base.rfind(prefix, 0) == 0 && base.size() > prefix.size() && argc > 1 && args[1] == "serve") {
      std::vector<std::string> out = {args[0], "plugin", "serve", kind, base.substr(prefix.size())};
      out.insert(out.end(), args.begin() + 2, args.end());
      return out;
    }
  }
  return args;
}

// glibc gives each thread that contends on malloc its own arena, up to 8 per
// core; a source's 64 worker threads then keep freed memory in many arenas
// and RSS doubles (bench/aws: peak 337 MB, 173 MB with 2 arenas; docs/
// benchmarks.md). One arena per core bounds that; MALLOC_ARENA_MAX, when
// set, is glibc's to honour and wins.
void BoundMallocArenas() {
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr) return;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  mallopt(M_ARENA_MAX, std::max(2, cores));
}

// A batch's column buffers are megabytes each. glibc serves such blocks with
// mmap once its threshold is crossed, and gives freed heap tops back to the
// kernel at 128 KiB+, so every batch paid for fresh pages (page faults and
// zeroing): a quarter of a null sync's CPU in the kernel (3M synthetic rows:
// 0.25 s of 0.95 s, wall 0.95 s against 0.69 s with these settings; docs/
// benchmarks.md). Blocks under 32 MiB (glibc's own ceiling for the dynamic
// threshold) now come from the heap, and up to 64 MiB of free heap top stays
// for the next batch. glibc's tunables, when they set malloc, win.
void KeepBatchMemory() {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::string_view(tunables).find("glibc.malloc.") != std::string_view::npos) return;
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}
}  // namespace

int main(int raw_argc, char** raw_argv) {
  using namespace ferry;
  BoundMallocArenas();
  KeepBatchMemory();
  std::vector<std::string> arg_strings = PluginBinaryArgs(raw_argc, raw_argv);
  std::vector<char*> arg_ptrs;
  for (auto& a : arg_strings) arg_ptrs.push_back(a.data());
  int argc = static_cast<int>(arg_ptrs.size());
  char** argv = arg_ptrs.data();
  Registry registry;
  if (Status st = RegisterBuiltins(registry); !st.ok()) {   // a bug in this build, never the user's
    std::cerr << "Error: " << st.message() << "\n";
    return 70;
  }
  registry.SetPluginHost(rpc::NewPluginHost());   // registry: local | grpc

  CLI::App app{"Ferry: sync cloud and infrastructure inventory into databases (CloudQuery-compatible specs)"};
  app.set_version_flag("--version", std::string(cli::kVersion));
  app.require_subcommand(1);
  // Global flags, accepted before or after the command as CloudQuery's are.
  app.fallthrough();
  std::string log_level = "info", log_format = "text";
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")->capture_default_str();
  app.add_option("--log-format", log_format, "text or json")->capture_default_str();
  // CloudQuery's logging flags: logs go to the console (stderr) and, unless
  // --no-log-file, to cloudquery.log in the working directory.
  bool log_console = false, no_log_file = false, log_file_overwrite = false;
  std::string log_file_name = "cloudquery.log", log_file_format;
  app.add_flag("--log-console", log_console,
               "Log to the console (Ferry always does; as in CloudQuery, also turns off the progress line)");
  app.add_flag("--no-log-file", no_log_file, "Do not write the log file");
  auto* log_file_opt = app.add_option("--log-file-name", log_file_name, "The log file")->capture_default_str();
  app.add_option("--log-file-format", log_file_format, "text or json (default: --log-format)");
  app.add_flag("--log-file-overwrite", log_file_overwrite, "Truncate the log file instead of appending to it");
  // CloudQuery's exit codes for recipes that depend on them: a sync whose
  // tables failed exits 0 ("completed with errors"), anything fatal 1.
  const char* env_codes = std::getenv("FERRY_EXIT_CODES");
  std::string exit_codes = env_codes && *env_codes ? env_codes : "ferry";
  app.add_option("--exit-codes", exit_codes,
                 "ferry (0 ok, 1 something failed, 2 bad usage or spec) or cloudquery (0 unless fatal, then 1); "
                 "also FERRY_EXIT_CODES")
      ->check(CLI::IsMember({"ferry", "cloudquery"}))
      ->capture_default_str();
  std::string cq_dir = ".cq", telemetry_level = "all";
  app.add_option("--cq-dir", cq_dir,
                 "CloudQuery's plugin download directory; accepted, Ferry downloads no plugins (registry: local or grpc)")
      ->capture_default_str();
  app.add_option("--telemetry-level", telemetry_level, "none, errors, stats or all; accepted, Ferry sends no telemetry")
      ->check(CLI::IsMember({"none", "errors", "stats", "all"}))
      ->capture_default_str();

  cli::SyncFlags sync;
  auto* sync_cmd = app.add_subcommand("sync", "Sync sources into destinations as the spec files say");
  sync_cmd->add_option("paths", sync.paths, "Spec files or directories (*.yml, *.yaml)")->required();
  sync_cmd->add_flag("--no-migrate", sync.no_migrate, "Do not create or migrate destination tables");
  sync_cmd->add_option("--summary-location", sync.summary_location,
                       "Append one JSON summary line per destination to this file (CloudQuery's fields)");
  sync_cmd->add_flag("--summary-ferry-fields", sync.summary_ferry_fields,
                     "Add Ferry's fields (errors, warnings, peak_memory_bytes) to the --summary-location lines");
  sync_cmd->add_option("--memory-budget", sync.memory_budget,
                       "Bytes of row data in flight at once (back-pressure above it); auto: two full batches of the "
                       "destination that needs most, 64-256 MiB")
      ->capture_default_str();
  sync_cmd->add_option("--invocation-id", sync.invocation_id, "Sync id (default: random UUID)");
  sync_cmd->add_flag("--no-progress", sync.no_progress, "Never print the live progress line");
  sync_cmd->add_option("--shard", sync.shard,
                       "Sync only part N of T of the (table, client) pairs (CloudQuery's flag; also FERRY_SHARD=N/T, "
                       "or JOB_COMPLETION_INDEX with FERRY_SHARD_TOTAL on Kubernetes)");
  sync_cmd->add_option("--shard-run", sync.shard_run,
                       "Id of the run the shards belong to (also FERRY_SHARD_RUN); the last shard of a run deletes "
                       "stale rows once every shard synced the table completely");
  std::string sync_license;
  sync_cmd->add_option("--license", sync_license, "CloudQuery's license file; accepted, Ferry needs none");
  sync_cmd->add_option("--tables-metrics-location", sync.tables_metrics_location,
                       "Write a per-table table (TABLE, RESOURCES, ERRORS, DURATION) to this file after each source");

  std::vector<std::string> migrate_paths;
  auto* migrate_cmd = app.add_subcommand("migrate", "Create or migrate destination tables without syncing");
  migrate_cmd->add_option("paths", migrate_paths, "Spec files or directories")->required();

  cli::TablesFlags tables;
  auto* tables_cmd = app.add_subcommand("tables", "Write docs of every table (JSON or Markdown)");
  tables_cmd->add_option("paths", tables.paths, "Spec files or directories (none: every built-in source)");
  tables_cmd->add_option("--format", tables.format, "json or markdown")
      ->check(CLI::IsMember({"json", "markdown"}))->capture_default_str();
  tables_cmd->add_option("--output-dir", tables.output_dir, "Where to write the docs")->capture_default_str();
  tables_cmd->add_option("--filter", tables.filter, "all: every table; spec: the tables the spec selects")
      ->check(CLI::IsMember({"all", "spec"}))->capture_default_str();

  std::vector<std::string> validate_paths;
  auto* validate_cmd = app.add_subcommand("validate-config", "Check spec files without connecting anywhere");
  validate_cmd->add_option("paths", validate_paths, "Spec files or directories")->required();

  std::vector<std::string> test_paths;
  auto* test_cmd = app.add_subcommand("test-connection", "Test the connection of every source and destination");
  test_cmd->add_option("paths", test_paths, "Spec files or directories")->required();

  std::string plugins_format = "markdown";
  auto* plugins_cmd = app.add_subcommand("plugins", "List the built-in integrations and their spec options");
  plugins_cmd->add_option("--format", plugins_format,
                          "markdown, json (JSON schema of each spec) or table (one Markdown row each)")
      ->check(CLI::IsMember({"markdown", "json", "table"}))->capture_default_str();

  cli::StateFlags state;
  auto* state_cmd = app.add_subcommand("state", "List or reset the cursors of incremental tables");
  state_cmd->require_subcommand(1);
  auto* state_list = state_cmd->add_subcommand("list", "List cursors per source, table and client");
  state_list->add_option("paths", state.paths, "Spec files or directories")->required();
  state_list->add_option("--source", state.source, "Only this source");
  auto* state_reset = state_cmd->add_subcommand("reset", "Reset cursors so the next sync of those tables is a full one");
  state_reset->add_option("paths", state.paths, "Spec files or directories")->required();
  state_reset->add_option("--source", state.source, "Only this source");
  state_reset->add_option("--table", state.tables, "Only cursors of tables matching this glob (repeatable)");

  rpc::ServeOptions serve;
  auto* plugin_cmd = app.add_subcommand("plugin", "Serve a built-in integration to CloudQuery-protocol clients");
  plugin_cmd->require_subcommand(1);
  auto* serve_cmd = plugin_cmd->add_subcommand(
      "serve", "Serve a built-in source or destination over CloudQuery plugin protocol v3 (gRPC)");
  serve_cmd->add_option("kind", serve.kind, "source or destination")
      ->required()->check(CLI::IsMember({"source", "destination"}));
  serve_cmd->add_option("name", serve.name, "A built-in integration (see `ferry plugins`)")->required();
  serve_cmd->add_option("--network", serve.network, "tcp or unix")
      ->check(CLI::IsMember({"tcp", "tcp4", "tcp6", "unix"}))->capture_default_str();
  serve_cmd->add_option("--address", serve.address, "host:port, or a socket path with --network unix")
      ->capture_default_str();
  // CloudQuery starts plugins with these after `serve`; accepted here too.
  serve_cmd->add_option("--log-level", log_level, "trace, debug, info, warn or error");
  serve_cmd->add_option("--log-format", log_format, "text or json");
  // CloudQuery's CLI may pass these too; Ferry sends no telemetry and needs no license.
  bool no_sentry = false, otel_insecure = false;
  std::string otel_endpoint, license;
  serve_cmd->add_flag("--no-sentry", no_sentry, "Accepted for CloudQuery compatibility (Ferry sends nothing anywhere)");
  serve_cmd->add_option("--otel-endpoint", otel_endpoint, "Accepted for CloudQuery compatibility; ignored");
  serve_cmd->add_flag("--otel-endpoint-insecure", otel_insecure, "Accepted for CloudQuery compatibility; ignored");
  serve_cmd->add_option("--license", license, "Accepted for CloudQuery compatibility; ignored");

  if (int rc = cli::CheckCommand(app, argc, argv); rc != 0) return rc;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (log_console) sync.no_progress = true;
  log::LogOptions log_options{.level = log_level,
                              .format = log_format,
                              .to_stdout = serve_cmd->parsed(),
                              // A served plugin logs to its host only, as CloudQuery's plugins do.
                              .file = no_log_file || serve_cmd->parsed() ? "" : log_file_name,
                              .file_format = log_file_format,
                              .file_overwrite = log_file_overwrite};
  Status st = log::Setup(log_options);
  if (st.code() == StatusCode::kIOError && log_file_opt->count() == 0) {
    // The default log file in a directory that cannot take it (a container's
    // read-only working directory): the sync still runs, logging to the console.
    std::cerr << "Warning: " << st.message() << "; logging to the console only\n";
    log_options.file.clear();
    st = log::Setup(log_options);
  }
  if (!st.ok()) {
    std::cerr << "Error: " << st.message() << "\n";
    return 2;
  }
  const bool cloudquery_codes = exit_codes == "cloudquery";
  if (*sync_cmd) {
    const int rc = cli::RunSync(registry, sync);
    // CloudQuery: a sync that ran to the end exits 0 even with table errors.
    if (cloudquery_codes) return rc == 1 ? 0 : rc == 0 ? 0 : 1;
    return rc;
  }
  auto codes = [&](int rc) { return cloudquery_codes && rc != 0 ? 1 : rc; };
  if (*migrate_cmd) return codes(cli::RunMigrate(registry, migrate_paths));
  if (*tables_cmd) return codes(cli::RunTables(registry, tables));
  if (*plugins_cmd) return cli::RunPlugins(registry, plugins_format);
  if (*state_cmd) {
    state.action = *state_list ? "list" : "reset";
    return codes(cli::RunState(registry, state));
  }
  if (*validate_cmd) return codes(cli::RunValidateConfig(registry, validate_paths));
  if (*test_cmd) return codes(cli::RunTestConnection(registry, test_paths));
  if (*serve_cmd) {
    if (!otel_endpoint.empty() || !license.empty())
      log::Info("ferry plugin serve: --otel-endpoint and --license are accepted for CloudQuery compatibility and ignored");
    return rpc::Serve(registry, serve);
  }
  return 2;
}
