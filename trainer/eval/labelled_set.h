// The labelled set that the `eval:` section names (eval.knn_dataset, eval.knn_label_column), in
// the form the data layer builds a source from.
#pragma once

#include "data/source/source_factory.h"
#include "trainer/eval/eval_options.h"

namespace pathodino::eval {

inline data::LabelledSet labelled_set(const EvalOptions& eval) {
  return {eval.knn_dataset, eval.knn_label_column};
}

}  // namespace pathodino::eval
