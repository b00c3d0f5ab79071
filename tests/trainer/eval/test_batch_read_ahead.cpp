// The read-ahead that feeds `embed` and evaluation: batches come in list order with their list,
// start and `last` flag; empty lists yield nothing; the batch after the current one is read
// before it is asked for, across the end of a list; a failed read ends its list with the error and
// the lists after it are read whole.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "trainer/eval/batch_read_ahead.h"

namespace pathodino::eval {
namespace {

// Image i is 4×4 of grey level i, labelled i; `bad` cannot be read. Counts the reads.
class NumberedImages final : public data::ImageSource {
 public:
  explicit NumberedImages(int64_t bad = -1) : bad_(bad) {}
  int64_t size() const override { return 100; }
  data::LabelledImage read(int64_t index) const override {
    ++reads;
    if (index == bad_)
      throw std::runtime_error("image " + std::to_string(index) + " is unreadable");
    return {{4, 4, std::vector<uint8_t>(48, static_cast<uint8_t>(index))}, index};
  }
  std::vector<std::string> class_names() const override { return {}; }
  std::string describe() const override { return "numbered images"; }
  mutable std::atomic<int64_t> reads{0};

 private:
  int64_t bad_;
};

TEST(BatchReadAhead, BatchesComeInListOrderWithTheirPlaceAndEmptyListsYieldNothing) {
  const NumberedImages images;
  BatchReadAhead reader({{&images, {1, 2, 3, 4, 5}}, {&images, {}}, {&images, {7, 8}}}, 4, 2, 2);
  std::vector<std::tuple<size_t, int64_t, bool, std::vector<int64_t>>> seen;
  while (std::optional<ImageBatch> batch = reader.next()) {
    ASSERT_FALSE(batch->error);
    ASSERT_EQ(batch->images.size(0), static_cast<int64_t>(batch->labels.size()));
    for (size_t i = 0; i < batch->labels.size(); ++i)  // the pixels are the image's, resized
      EXPECT_NEAR(batch->images[static_cast<int64_t>(i)].mean().item<float>(),
                  static_cast<float>(batch->labels[i]) / 255.0f, 1e-6);
    seen.emplace_back(batch->list, batch->start, batch->last, batch->labels);
  }
  using Row = std::tuple<size_t, int64_t, bool, std::vector<int64_t>>;
  const std::vector<Row> expected{Row{0, 0, false, {1, 2}}, Row{0, 2, false, {3, 4}},
                                  Row{0, 4, true, {5}}, Row{2, 0, true, {7, 8}}};
  EXPECT_EQ(seen, expected);
  EXPECT_FALSE(reader.next());
}

TEST(BatchReadAhead, TheNextListsFirstBatchIsReadBeforeItIsAskedFor) {
  const NumberedImages images;
  BatchReadAhead reader({{&images, {1, 2}}, {&images, {3, 4}}}, 4, 2, 1);
  const std::optional<ImageBatch> first = reader.next();
  ASSERT_TRUE(first && first->last);
  // The caller now runs the backbone on `first`; meanwhile list 1 is being read.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (images.reads < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(images.reads, 4) << "the next list's batch was not read ahead";
  const std::optional<ImageBatch> second = reader.next();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->list, 1u);
  EXPECT_EQ(second->labels, (std::vector<int64_t>{3, 4}));
}

TEST(BatchReadAhead, AFailedReadEndsItsListAndTheNextListIsReadWhole) {
  const NumberedImages images(/*bad=*/3);
  BatchReadAhead reader({{&images, {1, 2, 3, 4, 5, 6}}, {&images, {7, 8, 9}}}, 4, 2, 2);
  std::optional<ImageBatch> batch = reader.next();
  ASSERT_TRUE(batch && !batch->error && !batch->last);
  batch = reader.next();
  ASSERT_TRUE(batch && batch->error);
  EXPECT_TRUE(batch->last) << "the failed batch ends its list";
  EXPECT_EQ(batch->list, 0u);
  try {
    std::rethrow_exception(batch->error);
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "image 3 is unreadable");
  }
  std::vector<int64_t> rest;
  while ((batch = reader.next())) {
    EXPECT_EQ(batch->list, 1u) << "a batch of the failed list after its error";
    rest.insert(rest.end(), batch->labels.begin(), batch->labels.end());
  }
  EXPECT_EQ(rest, (std::vector<int64_t>{7, 8, 9}));
  EXPECT_LE(images.reads, 7) << "images 5 and 6 of the failed list were read";
}

}  // namespace
}  // namespace pathodino::eval
