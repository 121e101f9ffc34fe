// The fuzz seed corpus (fuzz/corpus/arrow_ipc) as a regression suite: every
// file must decode to an error or a valid batch, like the fuzz target checks,
// so a crash input added there is re-run by every test run. With
// FERRY_WRITE_FUZZ_SEEDS=DIR set, also writes the encoder-made seeds to DIR.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "protocol/arrow_ipc.h"
#include "protocol/ipc_test_util.h"

namespace ferry::protocol {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ArrowIpcCorpus, EverySeedDecodesOrFailsCleanly) {
  const fs::path dir = fs::path(FERRY_SOURCE_DIR) / "fuzz" / "corpus" / "arrow_ipc";
  ASSERT_TRUE(fs::is_directory(dir));
  int files = 0, records = 0, schemas = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    ++files;
    const std::string bytes = ReadFile(e.path());
    SCOPED_TRACE(e.path().filename().string());
    auto s = DecodeSchemaStream(bytes);
    if (s.ok()) {
      ++schemas;
      auto again = EncodeSchemaStream(**s);
      ASSERT_TRUE(again.ok());
      EXPECT_TRUE(DecodeSchemaStream(*again).ok());
    }
    auto b = DecodeRecordStream(bytes);
    if (b.ok()) {
      ++records;
      testutil::TouchAll(**b);
      auto again = EncodeRecordStream(**b);
      ASSERT_TRUE(again.ok());
      auto back = DecodeRecordStream(*again, (*b)->schema());
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      testutil::ExpectSameRows(**b, **back);
    }
    // Seeds named valid_* must decode as what their name says.
    const std::string name = e.path().filename().string();
    if (name.rfind("valid_record_", 0) == 0) EXPECT_TRUE(b.ok()) << b.status().ToString();
    if (name.rfind("valid_schema_", 0) == 0) EXPECT_TRUE(s.ok()) << s.status().ToString();
  }
  EXPECT_GE(files, 5);
  EXPECT_GT(records, 0);
  EXPECT_GT(schemas, 0);
}

TEST(ArrowIpcCorpus, WriteSeeds) {
  const char* out = std::getenv("FERRY_WRITE_FUZZ_SEEDS");
  if (!out) GTEST_SKIP() << "set FERRY_WRITE_FUZZ_SEEDS=DIR to regenerate the encoder-made seeds";
  const fs::path dir(out);
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const Result<std::string>& bytes) {
    ASSERT_TRUE(bytes.ok());
    std::ofstream(dir / name, std::ios::binary) << *bytes;
  };
  auto all = testutil::AllTypesSchema();
  write("valid_schema_all_types.arrow", EncodeSchemaStream(*all));
  write("valid_record_all_types.arrow", EncodeRecordStream(*testutil::MakeBatch(all, 3)));
  write("valid_record_all_types_slice.arrow", EncodeRecordStream(*testutil::MakeBatch(all, 12)->Slice(3, 5)));
  write("valid_record_empty.arrow", EncodeRecordStream(*testutil::MakeBatch(all, 0)));

  auto child = std::make_shared<TableSchema>();
  child->name = "child";
  child->parent = "parent";
  child->is_incremental = true;
  child->columns = {Column{"_cq_id", types::Uuid()}, Column{"tags", types::List(types::Utf8())},
                    Column{"cursor", types::Timestamp()}};
  child->columns[0].primary_key = child->columns[0].not_null = child->columns[0].unique = true;
  child->columns[2].incremental_key = true;
  write("valid_schema_child_flags.arrow", EncodeSchemaStream(*child));
  write("valid_record_child.arrow", EncodeRecordStream(*testutil::MakeBatch(child, 4)));
}

}  // namespace
}  // namespace ferry::protocol
