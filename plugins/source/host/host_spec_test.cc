#include "plugins/source/host/host_spec.h"

#include <gtest/gtest.h>

namespace ferry::plugins::host {
namespace {

using nlohmann::json;

Result<Spec> Parse(const json& spec) {
  FERRY_ASSIGN_OR_RETURN(Options o, ValidateOptions(SpecOptions(), spec, "source \"host\"", nullptr));
  return ParseSpec(o);
}

TEST(HostSpec, DefaultsAreSafe) {
  auto s = Parse(json::object());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->files.size(), 1u);
  EXPECT_EQ(s->files[0].pattern, "/etc/*");
  EXPECT_FALSE(s->files[0].hash) << "hashing is off by default";
  EXPECT_EQ(s->max_hash_size, 64 << 20);
  EXPECT_EQ(s->max_files, 10000);
  EXPECT_EQ(s->max_line_size, 64 << 10);
  EXPECT_EQ(s->log_read_limit, int64_t{256} << 20);
  EXPECT_EQ(s->logs, (std::vector<std::string>{"/var/log/dpkg.log", "/var/log/apt/history.log"}));
  EXPECT_EQ(s->dpkg_dir, "/var/lib/dpkg");
  EXPECT_EQ(s->max_open_files_per_process, 256);

  auto raw = ParseSpec(Options());  // unvalidated: the same defaults
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->files.size(), 1u);
  EXPECT_EQ(raw->max_line_size, 64 << 10);
}

TEST(HostSpec, FilesAcceptGlobsAndPerPathHashing) {
  auto s = Parse({{"files", {{"paths", {"/etc/ssh/*", {{"path", "/usr/local/bin/**"}, {"hash", true}}}},
                             {"max_hash_size", "1MiB"},
                             {"max_files", 5}}},
                  {"logs", {"/var/log/app/*.log"}},
                  {"max_line_size", "1KiB"},
                  {"log_checkpoint_every", 10}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(s->files.size(), 2u);
  EXPECT_FALSE(s->files[0].hash);
  EXPECT_EQ(s->files[1].pattern, "/usr/local/bin/**");
  EXPECT_TRUE(s->files[1].hash);
  EXPECT_EQ(s->max_hash_size, 1 << 20);
  EXPECT_EQ(s->max_files, 5);
  EXPECT_EQ(s->max_line_size, 1024);
  EXPECT_EQ(s->log_checkpoint_every, 10);

  auto all = Parse({{"files", {{"hash", true}}}});  // hash the default paths
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->files[0].hash);
}

TEST(HostSpec, BadValuesAreClearErrors) {
  auto typo = Parse({{"files", {{"pathz", {"/etc/*"}}}}});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean files.paths?"), std::string::npos) << typo.status().message();

  auto relative = Parse({{"files", {{"paths", {"etc/*"}}}}});
  ASSERT_FALSE(relative.ok());
  EXPECT_NE(relative.status().message().find("files.paths[0]"), std::string::npos);

  auto hash = Parse({{"files", {{"hash", "yes"}}}});
  EXPECT_FALSE(hash.ok());
  auto log = Parse({{"logs", {"relative.log"}}});
  EXPECT_FALSE(log.ok());
  auto unknown = Parse({{"max_line", 10}});  // the option table rejects unknown keys
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("max_line_size"), std::string::npos) << unknown.status().message();
  EXPECT_FALSE(Parse({{"max_line_size", 0}}).ok());
}

}  // namespace
}  // namespace ferry::plugins::host
