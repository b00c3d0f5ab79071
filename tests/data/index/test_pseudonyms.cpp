// Pseudonyms (data/index/pseudonyms.h): keyed, stable, distinct for slides and patients, and
// scrub() leaves no path or file name of a known slide in a message.
#include <gtest/gtest.h>

#include <string>

#include "data/index/pseudonyms.h"

namespace pathodino::data {
namespace {

TEST(Pseudonyms, KeyedStableAndSeparateForSlidesAndPatients) {
  const Pseudonyms names(std::string(32, '\x11')), other(std::string(32, '\x22'));
  const std::string slide = names.slide("0123456789abcdef");
  EXPECT_EQ(slide, names.slide("0123456789abcdef")) << "the same for the same key";
  EXPECT_EQ(slide.size(), std::string("slide-").size() + 12);
  EXPECT_EQ(slide.rfind("slide-", 0), 0u);
  EXPECT_NE(slide, other.slide("0123456789abcdef")) << "another key, another name";
  EXPECT_NE(slide, names.slide("0123456789abcdee"));
  EXPECT_EQ(names.patient("MRN-1").rfind("patient-", 0), 0u);
  EXPECT_NE(names.patient("0123456789abcdef").substr(8), slide.substr(6))
      << "a patient id equal to a slide hash gets another name";
}

TEST(Pseudonyms, ScrubReplacesPathsAndFileNames) {
  const std::string text =
      "/data/DOE_JANE.svs: cannot read; openslide: Unsupported format in DOE_JANE.svs";
  EXPECT_EQ(scrub(text, {{"/data/DOE_JANE.svs", "slide-abc"}}),
            "slide-abc: cannot read; openslide: Unsupported format in slide-abc");
  EXPECT_EQ(scrub("nothing here", {{"/data/DOE_JANE.svs", "slide-abc"}}), "nothing here");
}

}  // namespace
}  // namespace pathodino::data
