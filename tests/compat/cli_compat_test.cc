// What CloudQuery deployment recipes and output parsers rely on: global flags
// after the command, CloudQuery's logging flags and cloudquery.log, the
// binary answering as `cloudquery`, an unknown command's message, and the
// exact text and JSON of the sync summary (CloudQuery's cli/cmd/sync_v3.go
// and summary.go are the reference for the lines and field names).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "testing/cli_runner.h"
#include "testing/test_servers.h"
#include "tests/compat/compat_spec.h"

namespace ferry::testing {
namespace {

const std::string kSpec = Render({.connection = "./db.sqlite"});

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(CloudQueryCli, GoDurations) {
  EXPECT_EQ(cli::GoDuration(0), "0s");
  EXPECT_EQ(cli::GoDuration(54), "54s");
  EXPECT_EQ(cli::GoDuration(114), "1m54s");
  EXPECT_EQ(cli::GoDuration(3600), "1h0m0s");
  EXPECT_EQ(cli::GoDuration(7325), "2h2m5s");
}

TEST(CloudQueryCli, GoDurationsOfMilliseconds) {
  EXPECT_EQ(cli::GoDurationMs(0), "0s");
  EXPECT_EQ(cli::GoDurationMs(350), "350ms");
  EXPECT_EQ(cli::GoDurationMs(1234), "1.234s");
  EXPECT_EQ(cli::GoDurationMs(1500), "1.5s");
  EXPECT_EQ(cli::GoDurationMs(123500), "2m3.5s");
  EXPECT_EQ(cli::GoDurationMs(3600000), "1h0m0s");
}

TEST(CloudQueryCli, TablesMetricsAsCloudQueryRendersThem) {
  TempDir dir;
  const std::string spec = dir.Write("spec.yml", kSpec);
  auto r = RunFerry({"sync", spec, "--no-progress", "--tables-metrics-location", "metrics.txt"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string m = ReadFile(dir.File("metrics.txt"));
  EXPECT_EQ(m.rfind("+-", 0), 0u) << m;
  EXPECT_NE(m.find("| TABLE           | DURATION | RESOURCES | ERRORS | PANICS |"), std::string::npos) << m;
  EXPECT_NE(m.find("| test_some_table |"), std::string::npos) << m;
  EXPECT_EQ(cli::BoxTable({"A", "N"}, {{"x", "7"}, {"long", "12"}}, {false, true}),
            "+------+----+\n| A    | N  |\n+------+----+\n| x    |  7 |\n| long | 12 |\n+------+----+\n");
}

TEST(CloudQueryCli, GlobalFlagsAfterTheCommandAndTheSummaryLines) {
  TempDir dir;
  const std::string spec = dir.Write("spec.yml", kSpec);
  auto r = RunFerry({"sync", spec, "--log-level", "debug", "--log-format=json", "--summary-location", "s.jsonl",
                     "--no-progress"},
                    dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Starting sync for: test (cloudquery/test@v4.5.1) -> [sqlite (cloudquery/sqlite@v2.10.5)]"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Sync completed successfully. Resources: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(", Time: 0s\n"), std::string::npos) << r.out;
  // --log-format json after the command took effect: the totals line has
  // CloudQuery's field names.
  bool totals = false;
  std::istringstream lines(r.err);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not a JSON log line: " << line;
    if (j.value("message", "") == "Sync summary" && j.contains("result")) {
      totals = true;
      for (const char* k : {"resources", "errors", "warnings", "duration", "level", "module", "time"})
        EXPECT_TRUE(j.contains(k)) << line;
      EXPECT_EQ(j["result"], "Sync completed successfully");
    }
  }
  EXPECT_TRUE(totals) << r.err;
  // The summary line has exactly CloudQuery's fields.
  auto j = nlohmann::json::parse(ReadFile(dir.File("s.jsonl")));
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  const std::set<std::string> cloudquery = {
      "cli_version",    "destination_errors",  "destination_name",  "destination_path", "destination_version",
      "destination_warnings", "resources",     "source_errors",     "source_name",      "source_path",
      "source_version", "source_warnings",     "source_tables",     "sync_id",          "sync_time",
      "sync_duration_ms", "resources_per_table", "errors_per_table", "durations_per_table_ms"};
  EXPECT_EQ(keys, cloudquery) << j.dump();
  r = RunFerry({"sync", spec, "--summary-location", "f.jsonl", "--summary-ferry-fields", "--no-progress"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto f = nlohmann::json::parse(ReadFile(dir.File("f.jsonl")));
  EXPECT_TRUE(f.contains("errors") && f.contains("peak_memory_bytes")) << f.dump();
}

TEST(CloudQueryCli, ErrorsLineAsCloudQueryPrintsIt) {
  TempDir dir;
  std::string text = kSpec;
  text.replace(text.find("tables: [test_some_table]"), 25,
               "tables: [test_some_table]\n  spec: {fail_tables: [test_some_table]}");
  const std::string spec = dir.Write("spec.yml", text);
  auto r = RunFerry({"sync", spec, "--no-progress"}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Sync completed with errors, see logs for details. Resources: "), std::string::npos)
      << r.out << r.err;
  // CloudQuery's exit codes on request: table errors exit 0, fatal ones 1.
  r = RunFerry({"sync", spec, "--no-progress", "--exit-codes", "cloudquery"}, dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunFerry({"--exit-codes=cloudquery", "sync", dir.File("missing.yml")}, dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  r = RunFerry({"sync", dir.File("missing.yml")}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

TEST(CloudQueryCli, LogFileAsCloudQueryWritesIt) {
  TempDir dir;
  const std::string spec = dir.Write("spec.yml", kSpec);
  ASSERT_EQ(RunFerry({"sync", spec, "--no-progress"}, dir.path()).exit_code, 0);
  const std::string log = ReadFile(dir.File("cloudquery.log"));
  EXPECT_NE(log.find("Sync summary"), std::string::npos) << "cloudquery.log is written by default:\n" << log;
  // Appended to; --log-file-overwrite truncates; --log-file-format json.
  ASSERT_EQ(RunFerry({"sync", spec, "--no-progress", "--log-file-overwrite", "--log-file-format", "json"}, dir.path())
                .exit_code,
            0);
  const std::string json_log = ReadFile(dir.File("cloudquery.log"));
  ASSERT_FALSE(json_log.empty());
  EXPECT_EQ(json_log.front(), '{') << json_log;
  EXPECT_FALSE(nlohmann::json::parse(json_log.substr(0, json_log.find('\n')), nullptr, false).is_discarded());
  // --no-log-file: none; --log-file-name: elsewhere; --log-console,
  // --telemetry-level, --cq-dir and --license are accepted.
  TempDir other;
  const std::string spec2 = other.Write("spec.yml", kSpec);
  auto r = RunFerry({"sync", spec2, "--no-log-file", "--log-console", "--telemetry-level", "none", "--cq-dir", ".cq",
                     "--license", "x"},
                    other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(std::ifstream(other.File("cloudquery.log")).good());
  // Flags before the command: a flag takes no value, an option takes one.
  r = RunFerry({"--no-log-file", "--log-console", "validate-config", spec2}, other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunFerry({"--log-file-name", "logs.txt", "sync", spec2, "--no-progress"}, other.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(ReadFile(other.File("logs.txt")).find("Sync summary"), std::string::npos);
  // The default log file where it cannot be written: a warning, and the sync
  // runs; a log file asked for by name that cannot be written is an error.
  TempDir readonly;
  const std::string spec3 = readonly.Write("spec.yml", kSpec);
  ASSERT_EQ(::mkdir(readonly.File("cloudquery.log").c_str(), 0755), 0);   // a directory where the file would go
  r = RunFerry({"sync", spec3, "--no-progress"}, readonly.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("logging to the console only"), std::string::npos) << r.err;
  r = RunFerry({"sync", spec3, "--no-progress", "--log-file-name", "cloudquery.log"}, readonly.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("cannot write the log file"), std::string::npos) << r.err;
  r = RunFerry({"sync", spec2, "--telemetry-level", "loud"}, other.path());
  EXPECT_EQ(r.exit_code, 2) << "an unknown telemetry level is refused";
}

TEST(CloudQueryCli, OtelEndpointIsRefusedNotIgnored) {
  TempDir dir;
  std::string text = kSpec;
  text.replace(text.find("  tables:"), 0, "  otel_endpoint: 127.0.0.1:4318\n");
  const std::string spec = dir.Write("spec.yml", text);
  for (const char* cmd : {"sync", "validate-config"}) {
    auto r = RunFerry({cmd, spec}, dir.path());
    EXPECT_EQ(r.exit_code, 2) << cmd << r.out << r.err;
    EXPECT_NE(r.err.find("spec.yml:6"), std::string::npos) << cmd << ": the error names the line\n" << r.err;
    EXPECT_NE(r.err.find("does not export OpenTelemetry traces"), std::string::npos) << r.err;
  }
}

TEST(CloudQueryCli, ValidateConfigRejectsWhatSyncRejectsAndReportsEveryError) {
  TempDir dir;
  // A state backend that cannot hold cursors, and a second source with its
  // own error: both reported by one validate-config run.
  std::string text = kSpec;
  text.replace(text.find("---"), 0,
               "  backend_options: {table_name: cq_state_test, connection: \"@@plugins.nowhere.connection\"}\n");
  text += R"(---
kind: destination
spec:
  name: nowhere
  path: cloudquery/null
  version: v1.0.0
---
kind: source
spec:
  name: second
  path: cloudquery/test
  version: v4.5.1
  tables: [no_such_table]
  destinations: [sqlite]
)";
  const std::string spec = dir.Write("spec.yml", text);
  auto r = RunFerry({"validate-config", spec}, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("destination \"nowhere\" cannot be a state backend"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no_such_table"), std::string::npos) << "the second source's error too:\n" << r.err;
}

TEST(CloudQueryCli, UnknownCommandNamesTheNearest) {
  TempDir dir;
  auto r = RunFerry({"--log-level", "debug", "synx", "spec.yml"}, dir.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command \"synx\" for \"ferry\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Did you mean this?\n\tsync"), std::string::npos) << r.err;
}

TEST(CloudQueryCli, AnswersAsCloudQuery) {
  TempDir dir;
  const std::string spec = dir.Write("spec.yml", kSpec);
  const std::string link = dir.File("cloudquery");
  ASSERT_EQ(symlink(FERRY_BINARY, link.c_str()), 0);
  std::string out;
  const int rc = RunShell("cd '" + dir.path() + "' && ./cloudquery sync spec.yml --no-progress 2>&1", &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("Sync completed successfully."), std::string::npos) << out;
}

}  // namespace
}  // namespace ferry::testing
