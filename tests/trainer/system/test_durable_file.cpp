// Durable writes (trainer/system/durable_file.h): a file is replaced whole, and a failed write
// names the path and the system error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "scratch_dir.h"
#include "trainer/system/durable_file.h"

namespace pathodino::system {
namespace {

namespace fs = std::filesystem;

TEST(DurableFile, ReplacesWholeAndNamesThePathOnFailure) {
  const testing_support::ScratchDir scratch("durable_file");
  const fs::path file = scratch.path() / "latest";
  write_file_durably(file, "step-00000001\n");
  write_file_durably(file, "step-00000002\n");
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "step-00000002");
  EXPECT_EQ(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()), 1)
      << "no temporary file left behind";
  try {
    write_file_durably(scratch.path() / "missing" / "latest", "x");
    ADD_FAILURE() << "wrote into a missing directory";
  } catch (const DurableWriteError& e) {
    EXPECT_NE(std::string(e.what()).find("missing/latest"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pathodino::system
