// The sample stream at scale: the per-index permutation is a bijection for every size, uniform
// epochs cover every image once, group-balanced epochs meet their quotas exactly and never repeat
// a group member within a cycle — and a 10M-tile index split over 1,024 simulated ranks gives
// disjoint shards that together cover every tile exactly once per epoch.
#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <map>
#include <set>
#include <vector>

#include "data/index/tile_groups.h"
#include "data/index/tile_index.h"
#include "data/index_permutation.h"
#include "data/loader/sample_order.h"
#include "data/loader/sharded_sampler.h"
#include "scratch_dir.h"

namespace pathodino::data {
namespace {

TEST(IndexPermutation, IsABijectionForEverySizeAndDependsOnTheKey) {
  for (int64_t n : {1, 2, 3, 5, 16, 17, 100, 1000, 4097}) {
    const IndexPermutation p(n, 42);
    std::vector<int> seen(static_cast<size_t>(n), 0);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = p(i);
      ASSERT_GE(v, 0);
      ASSERT_LT(v, n);
      ++seen[static_cast<size_t>(v)];
    }
    for (int count : seen) ASSERT_EQ(count, 1) << "n = " << n;
  }
  const IndexPermutation a(1000, 1), b(1000, 2);
  int same = 0, fixed = 0;
  for (int64_t i = 0; i < 1000; ++i) {
    same += a(i) == b(i);
    fixed += a(i) == i;
  }
  EXPECT_LT(same, 20);  // ~1 expected for independent shuffles
  EXPECT_LT(fixed, 20);
}

TEST(IndexPermutation, LooksShuffled) {
  // Adjacent positions land far apart and the first tenth of the order spreads over the range.
  const int64_t n = 100000;
  const IndexPermutation p(n, 7);
  int64_t near = 0;
  std::vector<int64_t> decile(10, 0);
  for (int64_t i = 0; i < n; ++i) {
    near += std::llabs(p(i) - p((i + 1) % n)) < 10;
    if (i < n / 10) ++decile[static_cast<size_t>(p(i) * 10 / n)];
  }
  EXPECT_LT(near, 100);  // ~20 expected
  for (int64_t d : decile) EXPECT_NEAR(static_cast<double>(d), 1000.0, 150.0);
}

TEST(UniformOrder, EveryEpochIsAPermutationAndEpochsDiffer) {
  const UniformOrder order(257, 3);
  std::vector<int64_t> first, second;
  for (int64_t i = 0; i < 257; ++i) first.push_back(order.at(i));
  for (int64_t i = 257; i < 514; ++i) second.push_back(order.at(i));
  EXPECT_EQ(std::set<int64_t>(first.begin(), first.end()).size(), 257u);
  EXPECT_EQ(std::set<int64_t>(second.begin(), second.end()).size(), 257u);
  EXPECT_NE(first, second);
  EXPECT_EQ(UniformOrder(257, 3).at(1000), order.at(1000));  // stateless: resume = position
}

std::vector<SampleGroup> three_groups() {
  // Group a: 600 members in two runs, b: 300, c: 100 (as a slide column would give).
  return {{"a", {{0, 400}, {700, 200}}}, {"b", {{400, 300}}}, {"c", {{900, 100}}}};
}

std::map<std::string, int64_t> draws_per_group(const GroupBalancedOrder& order, int64_t first,
                                               int64_t count) {
  std::map<std::string, int64_t> draws;
  for (int64_t p = first; p < first + count; ++p) {
    const int64_t i = order.at(p);
    draws[i < 400 || (i >= 700 && i < 900) ? "a" : i < 700 ? "b" : "c"]++;
  }
  return draws;
}

TEST(GroupBalancedOrder, QuotasFollowCountToTheAlpha) {
  // alpha 0: uniform over groups; 1: as in the data; 0.5: in between. Exact per epoch.
  for (double alpha : {0.0, 0.5, 1.0}) {
    const GroupBalancedOrder order(three_groups(), alpha, 9);
    ASSERT_EQ(order.epoch_length(), 1000);
    const double wa = std::pow(600.0, alpha), wb = std::pow(300.0, alpha),
                 wc = std::pow(100.0, alpha), sum = wa + wb + wc;
    for (int64_t epoch : {0, 3}) {
      const auto draws = draws_per_group(order, epoch * 1000, 1000);
      EXPECT_NEAR(static_cast<double>(draws.at("a")), 1000 * wa / sum, 1.0) << alpha;
      EXPECT_NEAR(static_cast<double>(draws.at("b")), 1000 * wb / sum, 1.0) << alpha;
      EXPECT_NEAR(static_cast<double>(draws.at("c")), 1000 * wc / sum, 1.0) << alpha;
    }
  }
}

TEST(GroupBalancedOrder, MembersCycleWithoutRepeatsAndEveryMemberComesUp) {
  // alpha 0: c (100 members) gets 333-334 draws per epoch: every member 3-4 times, never twice
  // before all others came once; a (600) gets 333: no member twice within the epoch.
  const GroupBalancedOrder order(three_groups(), 0.0, 5);
  std::map<int64_t, int> count_c, count_a;
  for (int64_t p = 0; p < 1000; ++p) {
    const int64_t i = order.at(p);
    if (i >= 900) count_c[i]++;
    if (i < 400 || (i >= 700 && i < 900)) count_a[i]++;
  }
  EXPECT_EQ(count_c.size(), 100u);
  for (const auto& [i, n] : count_c) EXPECT_TRUE(n == 3 || n == 4) << i;
  for (const auto& [i, n] : count_a) EXPECT_EQ(n, 1) << i;
  for (int64_t p = 0; p < 3000; ++p) ASSERT_LT(order.at(p), 1000);  // members only
}

TEST(GroupBalancedOrder, RefusesBadInput) {
  EXPECT_THROW(GroupBalancedOrder({}, 0.5, 1), std::invalid_argument);
  EXPECT_THROW(GroupBalancedOrder(three_groups(), 1.5, 1), std::invalid_argument);
  EXPECT_THROW(GroupBalancedOrder({{"empty", {{0, 0}}}}, 0.5, 1), std::invalid_argument);
}

int64_t max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

// The scale check: ≥ 10M tiles in a real index file, 1,024 simulated ranks.
TEST(ShardAtScale, TenMillionTilesOver1024RanksAreDisjointAndComplete) {
  constexpr int64_t tiles = 10'000'000, world = 1024, batch = 8, slides = 1000;
  testing_support::ScratchDir scratch("scale");
  const auto file = scratch / "ten_million.pdidx";
  {
    TileIndexWriter writer;
    for (int64_t s = 0; s < slides; ++s) {
      IndexedSlide slide;
      slide.path = "slide_" + std::to_string(s) + ".svs";
      slide.groups["site"] = "site_" + std::to_string(s % 7);
      writer.add_slide(slide);
      IndexedGrid grid;
      grid.slide = static_cast<uint32_t>(s);
      const uint32_t id = writer.add_grid(grid);
      for (int64_t t = 0; t < tiles / slides; ++t)
        writer.add_tile({id, static_cast<uint32_t>(t), 0, 65535, 0});
    }
    writer.write(file);
  }
  EXPECT_LE(static_cast<int64_t>(std::filesystem::file_size(file)), tiles * 16 + 1'000'000);
  const auto start = std::chrono::steady_clock::now();
  const TileIndex index(file);
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(index.size(), tiles);
  std::cout << "10M-tile index opened (mmap + checksum) in " << load_seconds << " s\n";

  // One epoch = tiles / (world · batch) steps (+ a partial one): every rank's positions are its
  // slot blocks; gather them all into one bitmap.
  const auto order = std::make_shared<UniformOrder>(index.size(), 11);
  std::vector<uint8_t> seen(static_cast<size_t>(tiles), 0);
  const int64_t steps = (tiles + world * batch - 1) / (world * batch);
  int64_t covered = 0, largest_shard = 0;
  const int64_t rss_before = max_rss_kib();
  for (int64_t rank = 0; rank < world; ++rank) {
    const ShardedSampler sampler(order, rank, world);
    int64_t shard = 0;
    for (int64_t step = 0; step < steps; ++step) {
      const int64_t first = sampler.first_position(step, batch);
      const std::vector<int64_t> indices = sampler.batch(step, batch);
      for (int64_t j = 0; j < batch && first + j < tiles; ++j) {
        uint8_t& mark = seen[static_cast<size_t>(indices[static_cast<size_t>(j)])];
        ASSERT_EQ(mark, 0) << "tile " << indices[j] << " drawn twice in epoch 0 (rank " << rank
                           << ")";
        mark = 1;
        ++covered;
        ++shard;
      }
    }
    largest_shard = std::max(largest_shard, shard);
  }
  EXPECT_EQ(covered, tiles);
  EXPECT_LE(largest_shard, tiles / world + batch);
  // The samplers allocated nothing that grows with the dataset (the bitmap above is the test's).
  EXPECT_LT(max_rss_kib() - rss_before, 16 * 1024);

  // Balanced over a slide column at the same scale: 7 groups, exact quotas.
  const GroupBalancedOrder balanced(tile_groups(index, "site"), 0.0, 3);
  ASSERT_EQ(balanced.groups().size(), 7u);
  for (int64_t q : balanced.quotas()) EXPECT_NEAR(static_cast<double>(q), tiles / 7.0, 1.0);
  std::vector<int64_t> per_group(7, 0);
  for (int64_t p = 0; p < 70'000; ++p)
    ++per_group[static_cast<size_t>(index.tile(balanced.at(p)).grid % 7)];
  for (int64_t n : per_group) EXPECT_NEAR(static_cast<double>(n), 10'000.0, 400.0);
}

}  // namespace
}  // namespace pathodino::data
