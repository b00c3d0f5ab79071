// CSV cells: one line split into cells when reading (slide manifests, image lists), one cell
// quoted when writing (index summaries, sweep reports).
#pragma once

#include <string>
#include <vector>

namespace pathodino::data {

// Commas inside double quotes stay in the cell, quotes are dropped, carriage returns removed.
std::vector<std::string> split_csv_line(const std::string& line);

// `text` as one cell: as it is, or in double quotes (inner quotes doubled) when it holds a comma,
// a quote or a newline. split_csv_line reads it back.
std::string quote_csv_cell(const std::string& text);

}  // namespace pathodino::data
