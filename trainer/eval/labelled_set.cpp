#include "trainer/eval/labelled_set.h"

#include "trainer/system/aes_gcm.h"

namespace pathodino::eval {

LabelledSplits labelled_splits(const EvalSections& sections) {
  const data::LabelledSet set = labelled_set(sections.eval);
  std::optional<data::Pseudonyms> pseudonyms;
  if (sections.privacy.pseudonymise)
    pseudonyms.emplace(system::AesKey::load(sections.privacy.key_file).secret());
  const data::Pseudonyms* names = pseudonyms ? &*pseudonyms : nullptr;
  return {data::make_labelled_source(sections.data, set, sections.seed, data::Split::train, names),
          data::make_labelled_source(sections.data, set, sections.seed, data::Split::val, names)};
}

}  // namespace pathodino::eval
