// One CSV line split into cells: commas inside double quotes stay in the cell, quotes are
// dropped, carriage returns removed. Used by slide manifests and image lists alike.
#pragma once

#include <string>
#include <vector>

namespace pathodino::data {

std::vector<std::string> split_csv_line(const std::string& line);

}  // namespace pathodino::data
