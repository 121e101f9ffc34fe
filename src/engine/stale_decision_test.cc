// The delete-stale decision as a table of cases: every fact that can keep a
// table's stale rows, alone and along a relation chain.
#include "engine/stale_decision.h"

#include <gtest/gtest.h>

#include <functional>

namespace ferry::engine {
namespace {

using K = StaleVerdict::Kind;

TableProgress Planned(std::vector<std::string> clients) {
  TableProgress p;
  p.planned = true;
  p.planned_clients.insert(clients.begin(), clients.end());
  return p;
}
TableProgress Done(TableProgress p, const std::string& client, Status st = Status::OK()) {
  p.done[client] = st;
  return p;
}

// A source with root `a` (clients c1, c2) and its relation `a_child` and
// grandchild `a_grandchild`, all complete; each case breaks one fact.
SourceOutcome Complete() {
  SourceOutcome o;
  for (const char* t : {"a", "a_child", "a_grandchild"})
    o.tables[t] = Done(Done(Planned({"c1", "c2"}), "c1"), "c2");
  o.parent_of = {{"a", ""}, {"a_child", "a"}, {"a_grandchild", "a_child"}};
  return o;
}

struct Case {
  std::string name;
  std::function<void(SourceOutcome&, DestinationTableResult&)> change;
  std::string table;
  K kind;
  std::string reason_has;
};

TEST(DecideDeleteStale, TableOfCases) {
  const std::vector<Case> cases = {
      {"everything complete", [](auto&, auto&) {}, "a_grandchild", K::kDelete, ""},
      {"source failed before reporting any table",
       [](SourceOutcome& o, auto&) {
         o.sync_status = Status::IOError("state proxy did not start");
         o.tables.clear();
       },
       "a", K::kKeep, "the source failed: state proxy did not start"},
      {"source failed after every table reported ok",
       [](SourceOutcome& o, auto&) { o.sync_status = Status::IOError("stream broke at the end"); }, "a", K::kKeep,
       "the source failed"},
      {"one client failed", [](SourceOutcome& o, auto&) { o.tables["a"].done["c2"] = Status::IOError("denied"); },
       "a", K::kKeep, "client c2 failed: denied"},
      {"one planned client never reported", [](SourceOutcome& o, auto&) { o.tables["a"].done.erase("c2"); }, "a",
       K::kKeep, "client c2 never finished"},
      {"a table the source never mentioned", [](SourceOutcome& o, auto&) { o.tables.erase("a"); }, "a", K::kKeep,
       "never reported"},
      {"no plan and no report", [](SourceOutcome& o, auto&) { o.tables["a"] = TableProgress{}; }, "a", K::kKeep,
       "never reported"},
      {"no plan, one ok report (a plugin source)",
       [](SourceOutcome& o, auto&) { o.tables["a"] = Done(TableProgress{}, ""); }, "a", K::kDelete, ""},
      {"planned with no clients (nothing to sync)",
       [](SourceOutcome& o, auto&) { o.tables["a"] = Planned({}); }, "a", K::kDelete, ""},
      {"parent failed keeps the child",
       [](SourceOutcome& o, auto&) { o.tables["a"].done["c1"] = Status::IOError("boom"); }, "a_child", K::kKeep,
       "its parent table a did not sync completely: client c1 failed: boom"},
      {"grandparent failed keeps the grandchild",
       [](SourceOutcome& o, auto&) { o.tables["a"].done.erase("c1"); }, "a_grandchild", K::kKeep,
       "its parent table a did not sync completely"},
      {"a child failing does not keep its parent",
       [](SourceOutcome& o, auto&) { o.tables["a_child"].done["c1"] = Status::IOError("x"); }, "a", K::kDelete, ""},
      {"cancelled by SIGINT", [](SourceOutcome& o, auto&) { o.cancelled_by = "SIGINT"; }, "a", K::kKeep,
       "the sync was cancelled (SIGINT)"},
      {"cancelled by SIGTERM after the source returned",
       [](auto&, DestinationTableResult& d) { d.cancelled_by = "SIGTERM"; }, "a", K::kKeep,
       "cancelled (SIGTERM) before stale rows were deleted"},
      {"destination write error", [](auto&, DestinationTableResult& d) { d.write_failed = true; }, "a", K::kKeep,
       "writing the table's rows to this destination failed"},
      {"destination down", [](auto&, DestinationTableResult& d) { d.destination_down = "connection refused"; }, "a",
       K::kKeep, "stopped taking writes: connection refused"},
      {"incremental with a state backend",
       [](auto&, DestinationTableResult& d) { d.incremental_with_backend = true; }, "a", K::kKeepIncremental, ""},
      {"a plugin source that crashed (stream error, every table failed)",
       [](SourceOutcome& o, auto&) {
         o.sync_status = Status::IOError("plugin exited with code 2");
         for (auto& [t, p] : o.tables) p = Done(TableProgress{}, "", Status::IOError("stream failed"));
       },
       "a_child", K::kKeep, "the source failed"},
  };
  for (const auto& c : cases) {
    SourceOutcome o = Complete();
    DestinationTableResult d;
    c.change(o, d);
    StaleVerdict v = DecideDeleteStale(c.table, o, d);
    EXPECT_EQ(v.kind, c.kind) << c.name << ": " << v.reason;
    EXPECT_NE(v.reason.find(c.reason_has), std::string::npos) << c.name << ": " << v.reason;
  }
}

TEST(SyncProgressTracker, FirstFailureOfAClientSticks) {
  SyncProgressTracker t;
  t.Planned("a", {"c1"});
  t.Done("a", "c1", Status::IOError("first"));
  t.Done("a", "c1", Status::OK());
  auto snap = t.Snapshot();
  EXPECT_FALSE(snap["a"].done["c1"].ok());
  EXPECT_TRUE(snap["a"].planned);
}

}  // namespace
}  // namespace ferry::engine
