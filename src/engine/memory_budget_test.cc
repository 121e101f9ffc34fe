#include "engine/memory_budget.h"

#include <gtest/gtest.h>

#include <thread>

#include "ferry/builder.h"

namespace ferry::engine {
namespace {

BatchPtr SomeBatch() {
  auto s = std::make_shared<TableSchema>();
  s->name = "t";
  s->columns = {{.name = "i", .type = types::Int64()}};
  BatchBuilder b(s);
  for (int i = 0; i < 1000; ++i) b.column(0).AppendInt(i), b.EndRow();
  return b.Finish();
}

TEST(MemoryBudgetTest, AcquireBlocksUntilReleased) {
  MemoryBudget budget(100);
  auto a = budget.Acquire(80);
  ASSERT_TRUE(a.ok());
  std::atomic<bool> got{false};
  std::thread t([&] {
    auto b = budget.Acquire(50);
    ASSERT_TRUE(b.ok());
    got = true;
    budget.Release(*b);
  });
  // The waiter shows up as pressure before it can proceed.
  while (!budget.UnderPressure()) std::this_thread::yield();
  EXPECT_FALSE(got.load());
  budget.Release(*a);
  t.join();
  EXPECT_TRUE(got.load());
  EXPECT_EQ(budget.in_use(), 0);
  EXPECT_EQ(budget.peak(), 80);
}

TEST(MemoryBudgetTest, OversizedRequestIsCappedNotDeadlocked) {
  MemoryBudget budget(100);
  auto a = budget.Acquire(1000);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, 100);
  budget.Release(*a);
}

TEST(MemoryBudgetTest, CancelWakesWaiters) {
  MemoryBudget budget(10);
  auto a = budget.Acquire(10);
  ASSERT_TRUE(a.ok());
  std::thread t([&] { EXPECT_EQ(budget.Acquire(5).status().code(), StatusCode::kCancelled); });
  while (!budget.UnderPressure()) std::this_thread::yield();
  budget.Cancel();
  t.join();
}

TEST(MemoryBudgetTest, LeaseReturnsBytesWhenLastSharerDrops) {
  MemoryBudget budget(1 << 20);
  BatchPtr batch = SomeBatch();
  auto held = budget.Acquire(batch->ByteSize());
  ASSERT_TRUE(held.ok());
  auto lease = MakeLease(&budget, *held);
  BatchPtr d1 = Attach(batch, lease);
  BatchPtr d2 = Attach(batch->Slice(10, 10), lease);
  lease.reset();
  EXPECT_EQ(budget.in_use(), batch->ByteSize());
  d1.reset();
  EXPECT_EQ(budget.in_use(), batch->ByteSize());
  d2.reset();
  EXPECT_EQ(budget.in_use(), 0);
}

}  // namespace
}  // namespace ferry::engine
